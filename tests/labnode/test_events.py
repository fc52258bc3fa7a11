"""SentEvent encoding: one JSON value per data line, null for nothing."""

from __future__ import annotations

from appliance.labnode.state.events import SentEvent


def test_event_without_data_encodes_null() -> None:
    assert SentEvent("participant_sync_begin").encode_data() == "null"


def test_event_data_is_compact_single_line_json() -> None:
    assert SentEvent("x", {"a": [1, "é\nb"]}).encode_data() == '{"a":[1,"é\\nb"]}'
