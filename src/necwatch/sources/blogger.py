"""blogger adapter (in progress)."""
