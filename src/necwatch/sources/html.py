"""html adapter (in progress)."""
