"""Typed events for every §6 event; unknown and malformed data never raise."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.infinity import event_parse
from appliance.infinity import events as ev
from appliance.infinity.models import EVENT_NAMES, Role
from appliance.log import REDACTED, redact
from tests.support.scripted_node import participant

SAMPLES: dict[str, Any] = {
    "participant_sync_begin": None,
    "participant_sync_end": None,
    "participant_create": participant("a"),
    "participant_update": participant("a", role="chair"),
    "participant_delete": {"uuid": "a"},
    "conference_update": {"locked": True, "guests_muted": False, "started": True},
    "layout": {"view": "1:7", "participants": ["a"], "requested_layout": {"primary_screen": {}}},
    "stage": [{"participant_uuid": "a", "stage_index": 0, "vad": 100}],
    "presentation_start": {"presenter_name": "A", "presenter_uri": "a@x", "presenter_uuid": "a"},
    "presentation_stop": None,
    "presentation_ended": None,
    "presentation_frame": None,
    "message_received": {"origin": "A", "uuid": "a", "type": "text/plain", "payload": "hi", "direct": False},
    "call_disconnected": {"call_uuid": "c", "reason": "gone"},
    "disconnect": {"reason": "bye"},
    "refer": {"alias": "other", "token": "one-time-secret-123"},
    "cancel_refer": {},
    "on_hold": {"setting": True},
    "fecc": {"action": "start", "movement": [{"axis": "pan", "direction": "left"}], "timeout": 1000},
    "refresh_token": None,
    "live_captions": {"data": "hello", "is_final": True},
    "splash_screen": {"screen_key": "direct_media_welcome", "display_duration": 5},
    "new_offer": {"sdp": "v=0"},
    "update_sdp": {"sdp": "v=0"},
    "new_candidate": {"candidate": "candidate:1", "mid": "0"},
    "peer_disconnect": {},
    "breakout_begin": {"breakout_uuid": "b", "participant_uuid": "bp"},
    "breakout_end": {"breakout_uuid": "b", "participant_uuid": "bp"},
    "breakout_event": {"breakout_uuid": "b", "event": "participant_delete", "data": {"uuid": "x"}},
    "breakout_refer": {"breakout_uuid": "b", "breakout_name": "Room B", "requester_uuid": "h"},
}


def test_events_sample_covers_every_reference_event() -> None:
    assert set(SAMPLES) == set(EVENT_NAMES) == set(event_parse.WIRE_EVENTS)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_events_parse_each_reference_event_to_its_type(name: str) -> None:
    event = event_parse.parse_event(name, json.dumps(SAMPLES[name]), "9")
    assert not isinstance(event, (ev.UnknownEvent, ev.MalformedEvent)), event
    assert event.name == name
    assert event.event_id == "9"


def test_events_participant_update_reads_wire_encodings() -> None:
    event = event_parse.parse_event(
        "participant_update", json.dumps(participant("a", role="chair", is_muted="YES"))
    )
    assert isinstance(event, ev.ParticipantUpdate)
    assert event.participant.is_muted and event.participant.role is Role.HOST


def test_events_splash_screen_null_means_clear() -> None:
    event = event_parse.parse_event("splash_screen", "null")
    assert isinstance(event, ev.SplashScreen) and event.screen_key is None


def test_events_presentation_frame_falls_back_to_data_id() -> None:
    event = event_parse.parse_event("presentation_frame", '{"id": "42"}')
    assert isinstance(event, ev.PresentationFrame) and event.frame_id == "42"


def test_events_presentation_start_all_empty_is_a_revocation() -> None:
    event = event_parse.parse_event(
        "presentation_start", '{"presenter_name": "", "presenter_uri": "", "presenter_uuid": ""}'
    )
    assert isinstance(event, ev.PresentationStart) and event.is_revocation


def test_events_message_type_parameters_are_ignored_for_chat() -> None:
    event = event_parse.parse_event(
        "message_received", '{"type": "text/plain; charset=utf-8", "payload": "x"}'
    )
    assert isinstance(event, ev.MessageReceived) and event.is_chat


def test_events_call_disconnected_accepts_object_reason() -> None:
    event = event_parse.parse_event("call_disconnected", '{"call_uuid": "c", "reason": {"reason": "stolen"}}')
    assert isinstance(event, ev.CallDisconnected) and event.reason == "stolen"


def test_events_refer_token_is_hidden_and_registered() -> None:
    event = event_parse.parse_event("refer", json.dumps(SAMPLES["refer"]))
    assert isinstance(event, ev.Refer) and event.token == "one-time-secret-123"
    assert "one-time-secret-123" not in repr(event)
    assert redact("x one-time-secret-123 y") == f"x {REDACTED} y"


def test_events_breakout_event_parses_the_inner_event() -> None:
    event = event_parse.parse_event("breakout_event", json.dumps(SAMPLES["breakout_event"]))
    assert isinstance(event, ev.BreakoutEvent) and isinstance(event.event, ev.ParticipantDelete)


def test_events_unknown_name_passes_through() -> None:
    event = event_parse.parse_event("hologram_start", '{"x": 1}')
    assert isinstance(event, ev.UnknownEvent) and event.name == "hologram_start" and event.raw == {"x": 1}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("participant_create", '{"display_name": "no uuid"}'),
        ("participant_update", "[1, 2]"),
        ("stage", '{"not": "a list"}'),
        ("layout", '{"participants": []}'),
        ("conference_update", '{"locked": "maybe"}'),
        ("participant_delete", "{not json"),
    ],
)
def test_events_malformed_data_becomes_malformed_event(name: str, data: str) -> None:
    event = event_parse.parse_event(name, data)
    assert isinstance(event, ev.MalformedEvent) and event.name == name and event.error


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=20,
)


@given(st.sampled_from(sorted(SAMPLES)), json_values)
def test_events_arbitrary_json_never_raises(name: str, data: Any) -> None:
    event = event_parse.parse_event(name, json.dumps(data))
    assert event.name == name


@given(st.sampled_from(sorted(SAMPLES)), st.text(max_size=50))
def test_events_arbitrary_text_never_raises(name: str, data: str) -> None:
    assert event_parse.parse_event(name, data).name == name


DEEP = "[" * 100_000 + "]" * 100_000  # deeper than json's recursion limit: RecursionError


def test_events_nesting_too_deep_becomes_malformed_event() -> None:
    event = event_parse.parse_event("stage", DEEP)
    assert isinstance(event, ev.MalformedEvent) and "not JSON" in event.error


def test_events_nesting_too_deep_in_an_unknown_event_passes_through() -> None:
    assert isinstance(event_parse.parse_event("brand_new", DEEP), ev.UnknownEvent)
