"""infinity layer."""
