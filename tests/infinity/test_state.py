"""The conference-state model: resync semantics, flags, subscriptions."""

from __future__ import annotations

from appliance.infinity import events as ev
from appliance.infinity.models import ConferenceStatus, Participant, Role, StageEntry
from appliance.infinity.state import ConferenceState


def p(uuid: str, name: str = "", role: Role = Role.GUEST) -> Participant:
    return Participant(uuid=uuid, display_name=name or uuid, role=role)


def sync(state: ConferenceState, *people: Participant) -> list[ev.Event]:
    out = state.apply(ev.ParticipantSyncBegin())
    for person in people:
        out += state.apply(ev.ParticipantCreate(participant=person))
    return out + state.apply(ev.ParticipantSyncEnd())


def test_state_first_sync_creates_everyone() -> None:
    state = ConferenceState()
    out = sync(state, p("a"), p("b"))
    assert [e.participant.uuid for e in out if isinstance(e, ev.ParticipantCreate)] == ["a", "b"]
    assert state.synced and set(state.participants) == {"a", "b"}


def test_state_holds_participant_events_during_sync() -> None:
    state = ConferenceState()
    state.apply(ev.ParticipantSyncBegin())
    assert state.apply(ev.ParticipantCreate(participant=p("a"))) == []
    assert state.participants == {}


def test_state_resync_emits_create_update_delete() -> None:
    state = ConferenceState()
    sync(state, p("a"), p("b"))
    out = sync(state, p("a", "A2"), p("c"))
    kinds = [
        (e.name, getattr(e, "uuid", None) or e.participant.uuid)
        for e in out
        if "participant_" in e.name and e.name not in ("participant_sync_begin", "participant_sync_end")
    ]
    assert kinds == [("participant_update", "a"), ("participant_create", "c"), ("participant_delete", "b")]
    assert state.participants["a"].display_name == "A2"
    assert isinstance(out[-1], ev.RosterChanged) and len(out[-1].participants) == 2


def test_state_roster_survives_until_sync_end() -> None:
    state = ConferenceState()
    sync(state, p("a"))
    state.apply(ev.ParticipantSyncBegin())
    assert set(state.participants) == {"a"}


def test_state_malformed_event_changes_nothing() -> None:
    state = ConferenceState()
    sync(state, p("a"))
    out = state.apply(ev.MalformedEvent(wire_name="participant_update", error="bad"))
    assert len(out) == 1 and set(state.participants) == {"a"}


def test_state_applies_conference_layout_stage_presentation() -> None:
    state = ConferenceState()
    state.apply(ev.ConferenceUpdate(status=ConferenceStatus(locked=True)))
    state.apply(ev.LayoutUpdate(view="4:0"))
    state.apply(ev.StageUpdate(entries=(StageEntry("a", 0, 100),)))
    state.apply(ev.PresentationStart(presenter_name="A", presenter_uuid="a"))
    assert state.status.locked and state.layout is not None and state.layout.view == "4:0"
    assert state.stage[0].vad == 100 and state.presentation.active
    state.apply(ev.PresentationStop())
    assert not state.presentation.active


def test_state_own_participant_update_changes_role() -> None:
    state = ConferenceState()
    state.set_identity("me", Role.GUEST, "conference")
    out = state.apply(ev.ParticipantUpdate(participant=p("me", role=Role.HOST)))
    assert state.role is Role.HOST
    assert ev.RoleChanged(old=Role.GUEST, new=Role.HOST) in out


def test_state_subscriber_error_does_not_reach_others() -> None:
    state = ConferenceState()
    seen: list[ev.Event] = []

    def broken(event: ev.Event) -> None:
        raise RuntimeError("bug")

    state.subscribe(broken)
    state.subscribe(seen.append)
    state.feed(ev.PresentationStop())
    assert len(seen) == 1


def test_state_unsubscribe_stops_delivery() -> None:
    state = ConferenceState()
    seen: list[ev.Event] = []
    unsubscribe = state.subscribe(seen.append)
    unsubscribe()
    state.feed(ev.PresentationStop())
    assert seen == []


def test_state_malformed_participant_during_resync_keeps_the_previous_entry() -> None:
    state = ConferenceState()
    sync(state, p("a", "Alice"), p("b"))
    state.apply(ev.ParticipantSyncBegin())
    state.apply(ev.ParticipantCreate(participant=p("b")))
    bad = {"uuid": "a", "display_name": "Alice", "is_muted": "PERHAPS"}
    state.apply(ev.MalformedEvent(wire_name="participant_create", raw=bad, error="is_muted"))
    out = state.apply(ev.ParticipantSyncEnd())
    assert not any(isinstance(e, ev.ParticipantDelete) for e in out)
    assert state.participants["a"].display_name == "Alice"


def test_state_malformed_participant_without_a_known_uuid_is_not_invented() -> None:
    state = ConferenceState()
    sync(state, p("a"))
    state.apply(ev.ParticipantSyncBegin())
    state.apply(ev.ParticipantCreate(participant=p("a")))
    state.apply(ev.MalformedEvent(wire_name="participant_create", raw={"uuid": "new"}, error="x"))
    state.apply(ev.ParticipantSyncEnd())
    assert set(state.participants) == {"a"}
