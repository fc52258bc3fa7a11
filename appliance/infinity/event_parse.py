"""SSE message -> typed :class:`~appliance.infinity.events.Event`, never raising.

Pure functions (no I/O), one per §6 event, so the stream can hand every
message over without a try/except of its own and hypothesis can throw
arbitrary JSON at them. What each reader accepts follows the reference's
**U** marks: ``reason`` as string or ``{reason}``, ``presentation_frame``'s
id from the SSE ``id:`` or the data, ``splash_screen`` data ``null``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from appliance.infinity.events import (
    BreakoutBegin,
    BreakoutEnd,
    BreakoutEvent,
    BreakoutRefer,
    CallDisconnected,
    CancelRefer,
    ConferenceUpdate,
    Disconnect,
    Event,
    FeccSignal,
    LayoutUpdate,
    LiveCaptions,
    MalformedEvent,
    MessageReceived,
    NewCandidate,
    NewOffer,
    OnHold,
    ParticipantCreate,
    ParticipantDelete,
    ParticipantSyncBegin,
    ParticipantSyncEnd,
    ParticipantUpdate,
    PeerDisconnect,
    PresentationEnded,
    PresentationFrame,
    PresentationStart,
    PresentationStop,
    Refer,
    RefreshTokenRequested,
    SplashScreen,
    StageUpdate,
    UnknownEvent,
    UpdateSdp,
)
from appliance.infinity.models import ConferenceStatus, Participant, StageEntry, parse_flag, parse_float
from appliance.log import register_secret


def _obj(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"expected a JSON object, found {type(data).__name__}")
    return data


def _str(data: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise ValueError(f"{key}: missing")
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string, found {value!r}")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _participant(event_id: str | None, data: Any) -> Participant:
    return Participant.from_wire(_obj(data))


def _layout(event_id: str | None, data: Any) -> Event:
    d = _obj(data)
    view = d.get("view")
    if not isinstance(view, str):
        raise ValueError(f"view: expected a string, found {view!r}")
    people = d.get("participants") or []
    if not isinstance(people, list):
        raise ValueError("participants: expected a list")
    requested = d.get("requested_layout")
    overlay = d.get("overlay_text_enabled")
    coords = d.get("pres_slot_coords")
    return LayoutUpdate(
        event_id=event_id,
        raw=data,
        view=view,
        participants=tuple(str(p) for p in people),
        requested_layout=dict(requested) if isinstance(requested, Mapping) else None,
        overlay_text_enabled=parse_flag(overlay) if overlay is not None else None,
        pres_slot_coords=tuple(coords) if isinstance(coords, list) else None,
    )


def _stage(event_id: str | None, data: Any) -> Event:
    if data is None:
        data = []
    if not isinstance(data, list):
        raise ValueError(f"expected a JSON array, found {type(data).__name__}")
    return StageUpdate(event_id=event_id, raw=data, entries=tuple(StageEntry.from_wire(e) for e in data))


def _presentation_start(event_id: str | None, data: Any) -> Event:
    d = _obj(data) if data is not None else {}
    return PresentationStart(
        event_id=event_id,
        raw=data,
        presenter_name=_str(d, "presenter_name"),
        presenter_uri=_str(d, "presenter_uri"),
        presenter_uuid=_str(d, "presenter_uuid"),
        presenter_source=_opt_str(d, "presenter_source"),
    )


def _presentation_frame(event_id: str | None, data: Any) -> Event:
    frame_id = event_id
    if not frame_id and isinstance(data, Mapping) and data.get("id") is not None:
        frame_id = str(data["id"])
    return PresentationFrame(event_id=event_id, raw=data, frame_id=frame_id)


def _message(event_id: str | None, data: Any) -> Event:
    d = _obj(data)
    payload = d.get("payload", "")
    if not isinstance(payload, str):
        payload = json.dumps(payload)
    return MessageReceived(
        event_id=event_id,
        raw=data,
        origin=_str(d, "origin"),
        uuid=_str(d, "uuid"),
        mime_type=_str(d, "type") or "text/plain",
        payload=payload,
        direct=parse_flag(d.get("direct", False)),
    )


def _fecc(event_id: str | None, data: Any) -> Event:
    d = _obj(data)
    movement = d.get("movement") or []
    if not isinstance(movement, list):
        raise ValueError("movement: expected a list")
    moves = tuple((_str(_obj(m), "axis"), _str(_obj(m), "direction")) for m in movement)
    timeout = d.get("timeout")
    return FeccSignal(
        event_id=event_id,
        raw=data,
        action=_str(d, "action", required=True),
        movement=moves,
        timeout_ms=int(parse_float(timeout)) if timeout is not None else None,
    )


def _splash(event_id: str | None, data: Any) -> Event:
    if data is None:
        return SplashScreen(event_id=event_id, raw=None)
    d = _obj(data)
    duration = d.get("display_duration")
    return SplashScreen(
        event_id=event_id,
        raw=data,
        screen_key=_str(d, "screen_key") or None,
        display_duration=parse_float(duration) if duration is not None else None,
    )


def _call_disconnected(event_id: str | None, data: Any) -> Event:
    d = _obj(data)
    reason = d.get("reason", "")
    if isinstance(reason, Mapping):
        reason = reason.get("reason", "")
    return CallDisconnected(event_id=event_id, raw=data, call_uuid=_str(d, "call_uuid"), reason=str(reason))


def _disconnect(event_id: str | None, data: Any) -> Event:
    if isinstance(data, str):
        return Disconnect(event_id=event_id, raw=data, reason=data)
    d = _obj(data) if data is not None else {}
    return Disconnect(event_id=event_id, raw=data, reason=str(d.get("reason") or ""))


def _refer(event_id: str | None, data: Any) -> Event:
    d = _obj(data)
    token = _str(d, "token")
    register_secret(token)
    return Refer(
        event_id=event_id,
        raw={k: v for k, v in d.items() if k != "token"},
        alias=_str(d, "alias", required=True),
        token=token,
        breakout_name=_opt_str(d, "breakout_name"),
        target=_opt_str(d, "target"),
    )


def _on_hold(event_id: str | None, data: Any) -> Event:
    value = _obj(data).get("setting") if isinstance(data, Mapping) else data
    return OnHold(event_id=event_id, raw=data, setting=parse_flag(value))


def _captions(event_id: str | None, data: Any) -> Event:
    d = _obj(data)
    sent = d.get("sent_time")
    sources = d.get("sources") or []
    return LiveCaptions(
        event_id=event_id,
        raw=data,
        data=_str(d, "data"),
        is_final=parse_flag(d.get("is_final", False)),
        sent_time=parse_float(sent) if sent is not None else None,
        src_lang=_opt_str(d, "src_lang"),
        tgt_lang=_opt_str(d, "tgt_lang"),
        sources=tuple(s for s in sources if isinstance(s, Mapping)) if isinstance(sources, list) else (),
    )


def _candidate(event_id: str | None, data: Any) -> Event:
    d = _obj(data)
    mid = d.get("mid")
    return NewCandidate(
        event_id=event_id,
        raw=data,
        candidate=_str(d, "candidate"),
        mid=str(mid) if mid is not None else None,
        ufrag=_opt_str(d, "ufrag"),
        pwd=_opt_str(d, "pwd"),
    )


def _breakout_event(event_id: str | None, data: Any) -> Event:
    d = _obj(data)
    inner_name = _str(d, "event", required=True)
    return BreakoutEvent(
        event_id=event_id,
        raw=data,
        breakout_uuid=_str(d, "breakout_uuid", required=True),
        event=parse_payload(inner_name, d.get("data"), event_id),
    )


_Parser = Callable[[str | None, Any], Event]

_PARSERS: dict[str, _Parser] = {
    "participant_sync_begin": lambda i, d: ParticipantSyncBegin(event_id=i, raw=d),
    "participant_sync_end": lambda i, d: ParticipantSyncEnd(event_id=i, raw=d),
    "participant_create": lambda i, d: ParticipantCreate(event_id=i, raw=d, participant=_participant(i, d)),
    "participant_update": lambda i, d: ParticipantUpdate(event_id=i, raw=d, participant=_participant(i, d)),
    "participant_delete": lambda i, d: ParticipantDelete(
        event_id=i, raw=d, uuid=_str(_obj(d), "uuid", required=True)
    ),
    "conference_update": lambda i, d: ConferenceUpdate(
        event_id=i, raw=d, status=ConferenceStatus.from_wire(_obj(d))
    ),
    "layout": _layout,
    "stage": _stage,
    "presentation_start": _presentation_start,
    "presentation_stop": lambda i, d: PresentationStop(event_id=i, raw=d),
    "presentation_ended": lambda i, d: PresentationEnded(event_id=i, raw=d),
    "presentation_frame": _presentation_frame,
    "message_received": _message,
    "fecc": _fecc,
    "splash_screen": _splash,
    "call_disconnected": _call_disconnected,
    "disconnect": _disconnect,
    "refer": _refer,
    "cancel_refer": lambda i, d: CancelRefer(event_id=i, raw=d),
    "on_hold": _on_hold,
    "refresh_token": lambda i, d: RefreshTokenRequested(event_id=i, raw=d),
    "live_captions": _captions,
    "new_offer": lambda i, d: NewOffer(event_id=i, raw=d, sdp=_str(_obj(d), "sdp", required=True)),
    "update_sdp": lambda i, d: UpdateSdp(event_id=i, raw=d, sdp=_str(_obj(d), "sdp", required=True)),
    "new_candidate": _candidate,
    "peer_disconnect": lambda i, d: PeerDisconnect(event_id=i, raw=d),
    "breakout_begin": lambda i, d: BreakoutBegin(
        event_id=i,
        raw=d,
        breakout_uuid=_str(_obj(d), "breakout_uuid", required=True),
        participant_uuid=_str(_obj(d), "participant_uuid"),
    ),
    "breakout_end": lambda i, d: BreakoutEnd(
        event_id=i,
        raw=d,
        breakout_uuid=_str(_obj(d), "breakout_uuid", required=True),
        participant_uuid=_str(_obj(d), "participant_uuid"),
    ),
    "breakout_event": _breakout_event,
    "breakout_refer": lambda i, d: BreakoutRefer(
        event_id=i,
        raw=d,
        breakout_uuid=_str(_obj(d), "breakout_uuid", required=True),
        breakout_name=_str(_obj(d), "breakout_name"),
        requester_uuid=_str(_obj(d), "requester_uuid"),
    ),
}

WIRE_EVENTS = frozenset(_PARSERS)


def parse_payload(name: str, data: Any, event_id: str | None = None) -> Event:
    """Build the typed event from already-decoded JSON data. Never raises."""
    parser = _PARSERS.get(name)
    if parser is None:
        return UnknownEvent(event_id=event_id, raw=data, wire_name=name)
    try:
        return parser(event_id, data)
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        return MalformedEvent(event_id=event_id, raw=data, wire_name=name, error=str(exc))


def parse_event(name: str, data: str, event_id: str | None = None) -> Event:
    """Build the typed event from one SSE message (``data`` is JSON text). Never raises."""
    text = data.strip()
    if text == "":
        decoded: Any = None
    else:
        try:
            decoded = json.loads(text)
        except (ValueError, RecursionError) as exc:
            # RecursionError: nesting deeper than the interpreter's limit (a
            # hostile or broken node); it is not a ValueError, and unhandled
            # it would end the stream task instead of skipping one event.
            if name not in _PARSERS:
                return UnknownEvent(event_id=event_id, raw=data, wire_name=name)
            return MalformedEvent(
                event_id=event_id, raw=data, wire_name=name, error=f"data is not JSON: {exc}"
            )
    return parse_payload(name, decoded, event_id)
