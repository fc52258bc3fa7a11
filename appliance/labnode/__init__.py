"""labnode layer."""
