"""Event encoding: one JSON value per data line, null for nothing."""

from __future__ import annotations

from appliance.labnode.state.events import Event


def test_event_without_data_encodes_null() -> None:
    assert Event("participant_sync_begin").encode_data() == "null"


def test_event_data_is_compact_single_line_json() -> None:
    assert Event("x", {"a": [1, "é\nb"]}).encode_data() == '{"a":[1,"é\\nb"]}'
