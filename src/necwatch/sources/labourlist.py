"""labourlist adapter (in progress)."""
