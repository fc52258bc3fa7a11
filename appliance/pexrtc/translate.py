"""Wire events → the arguments PexRTC hands to its callbacks.

Pure functions, no I/O and no state: each takes a typed event from
:mod:`appliance.infinity.events` and returns what the founding document
says the callback receives, in the shapes a JavaScript page sees (plain
dicts with the wire encodings: ``"YES"``/``"NO"``, ``chair``/``guest``), so
handler code ported from JavaScript indexes the same keys.
"""

from __future__ import annotations

from typing import Any

from appliance.infinity.events import (
    ConferenceUpdate,
    Event,
    FeccSignal,
    LayoutUpdate,
    MessageReceived,
    ParticipantCreate,
    ParticipantDelete,
    ParticipantUpdate,
    PresentationStart,
    RosterChanged,
    StageUpdate,
)
from appliance.infinity.models import ConferenceStatus, Participant

# onConferenceUpdate: the document's four fields come first; everything
# else the node sent (all_muted, classification, ...) follows, as in
# PexRTC, which passes the event object through.


def conference_properties(status: ConferenceStatus) -> dict[str, Any]:
    return status.to_wire()


def participant_object(participant: Participant) -> dict[str, Any]:
    return participant.to_wire()


def roster(participants: list[Participant]) -> list[dict[str, Any]]:
    return [p.to_wire() for p in participants]


def layout_arguments(event: LayoutUpdate) -> tuple[str, list[str], Any, bool | None]:
    """onLayoutUpdate(view, participants, requested_layout, overlay_text_enabled)."""
    return (
        event.view,
        list(event.participants),
        event.requested_layout,
        event.overlay_text_enabled,
    )


def stage(event: StageUpdate) -> list[dict[str, Any]]:
    return [entry.to_wire() for entry in event.entries]


def presenter_label(event: PresentationStart) -> str:
    """PexRTC's ``presenter``: ``"name <uri>"``, or the URI alone when nameless."""
    name, uri = event.presenter_name or "", event.presenter_uri or ""
    if name and uri:
        return f"{name} <{uri}>"
    return name or uri


def message(event: MessageReceived) -> dict[str, Any]:
    """The message object of onChatMessage / onDirectMessage / onApplicationMessage."""
    return {
        "origin": event.origin,
        "uuid": event.uuid,
        "type": event.mime_type,
        "payload": event.payload,
        "direct": event.direct,
    }


def message_callback(event: MessageReceived) -> str:
    """Which callback a ``message_received`` goes to (§9)."""
    if not event.is_chat:
        return "onApplicationMessage"
    return "onDirectMessage" if event.direct else "onChatMessage"


def fecc_signal(event: FeccSignal) -> dict[str, Any]:
    """``{'action', 'movement': [{'axis', 'direction'}], 'timeout'}`` as the document shows."""
    return {
        "action": event.action,
        "movement": [{"axis": axis, "direction": direction} for axis, direction in event.movement],
        "timeout": event.timeout_ms,
    }


def stateless(event: Event) -> tuple[str, tuple[Any, ...]] | None:
    """The callback and arguments for events that need no state; ``None`` for the others."""
    if isinstance(event, ParticipantCreate):
        return "onParticipantCreate", (participant_object(event.participant),)
    if isinstance(event, ParticipantUpdate):
        return "onParticipantUpdate", (participant_object(event.participant),)
    if isinstance(event, ParticipantDelete):
        return "onParticipantDelete", ({"uuid": event.uuid},)
    if isinstance(event, RosterChanged):
        return "onRosterList", (roster(list(event.participants)),)
    if isinstance(event, ConferenceUpdate):
        return "onConferenceUpdate", (conference_properties(event.status),)
    if isinstance(event, LayoutUpdate):
        return "onLayoutUpdate", layout_arguments(event)
    if isinstance(event, StageUpdate):
        return "onStageUpdate", (stage(event),)
    if isinstance(event, MessageReceived):
        return message_callback(event), (message(event),)
    return None
