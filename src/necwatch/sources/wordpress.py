"""wordpress adapter (in progress)."""
