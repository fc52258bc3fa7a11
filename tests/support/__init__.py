"""Helpers the tests share (imported as ``tests.support.*``; pytest's ``pythonpath`` puts the root on the path)."""
