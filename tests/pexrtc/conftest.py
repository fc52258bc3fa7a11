"""Fixtures: a lab node, and PexRTC participants whose callbacks are recorded (tests/support/pexrtc.py)."""

from tests.support.pexrtc import join, node, participant, threaded_node

__all__ = ["join", "node", "participant", "threaded_node"]
