"""UI layer: the only package that imports pygame for the room's screen."""
