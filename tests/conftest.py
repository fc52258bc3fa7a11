"""Plugins every test gets: the hard per-test deadline (tests/support/deadline.py)."""

pytest_plugins = ("tests.support.deadline",)
