"""Typed events: every §6 event of the node's stream, plus the client's own.

:func:`appliance.infinity.event_parse.parse_event` builds these from the
wire. An unknown name becomes :class:`UnknownEvent` (nodes add events; the
Android and Swift SDKs ignore what they do not know), and a known name with
data of the wrong shape becomes :class:`MalformedEvent`, which the state
model skips, so a bad participant object cannot end the stream or wipe the
roster.

Events the node never sends (stream up/down, session failure, role change,
roster change) share the base class so that one subscription sees the
whole life of a session, as PexRTC's callbacks do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from appliance.infinity.errors import InfinityError
from appliance.infinity.models import ConferenceStatus, Participant, Role, StageEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every event; ``raw`` is the decoded JSON ``data``."""

    NAME: ClassVar[str] = ""
    event_id: str | None = None
    raw: Any = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.NAME


# --- roster -----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantSyncBegin(Event):
    NAME: ClassVar[str] = "participant_sync_begin"


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantSyncEnd(Event):
    NAME: ClassVar[str] = "participant_sync_end"


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantCreate(Event):
    NAME: ClassVar[str] = "participant_create"
    participant: Participant


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantUpdate(Event):
    NAME: ClassVar[str] = "participant_update"
    participant: Participant


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantDelete(Event):
    NAME: ClassVar[str] = "participant_delete"
    uuid: str


# --- conference -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ConferenceUpdate(Event):
    NAME: ClassVar[str] = "conference_update"
    status: ConferenceStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class LayoutUpdate(Event):
    NAME: ClassVar[str] = "layout"
    view: str
    participants: tuple[str, ...] = ()
    requested_layout: Mapping[str, Any] | None = None
    overlay_text_enabled: bool | None = None
    pres_slot_coords: tuple[Any, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StageUpdate(Event):
    NAME: ClassVar[str] = "stage"
    entries: tuple[StageEntry, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PresentationStart(Event):
    NAME: ClassVar[str] = "presentation_start"
    presenter_name: str = ""
    presenter_uri: str = ""
    presenter_uuid: str = ""
    presenter_source: str | None = None

    @property
    def is_revocation(self) -> bool:
        """All-empty form: the node tells the current presenter to stop (I)."""
        return not (self.presenter_name or self.presenter_uri or self.presenter_uuid)


@dataclass(frozen=True, slots=True, kw_only=True)
class PresentationStop(Event):
    NAME: ClassVar[str] = "presentation_stop"


@dataclass(frozen=True, slots=True, kw_only=True)
class PresentationEnded(Event):
    NAME: ClassVar[str] = "presentation_ended"


@dataclass(frozen=True, slots=True, kw_only=True)
class PresentationFrame(Event):
    NAME: ClassVar[str] = "presentation_frame"
    frame_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageReceived(Event):
    NAME: ClassVar[str] = "message_received"
    origin: str = ""
    uuid: str = ""
    mime_type: str = "text/plain"
    payload: str = ""
    direct: bool = False

    @property
    def base_type(self) -> str:
        """The MIME type without ``;`` parameters, lower case."""
        return self.mime_type.split(";", 1)[0].strip().lower()

    @property
    def is_chat(self) -> bool:
        return self.base_type == "text/plain"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeccSignal(Event):
    NAME: ClassVar[str] = "fecc"
    action: str
    movement: tuple[tuple[str, str], ...] = ()
    timeout_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SplashScreen(Event):
    """``screen_key is None`` means: clear the splash screen (data ``null``)."""

    NAME: ClassVar[str] = "splash_screen"
    screen_key: str | None = None
    display_duration: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallDisconnected(Event):
    NAME: ClassVar[str] = "call_disconnected"
    call_uuid: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Disconnect(Event):
    NAME: ClassVar[str] = "disconnect"
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Refer(Event):
    """Transfer: rejoin ``alias`` with ``token`` as the one-time token."""

    NAME: ClassVar[str] = "refer"
    alias: str
    token: str = field(default="", repr=False)
    breakout_name: str | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelRefer(Event):
    NAME: ClassVar[str] = "cancel_refer"


@dataclass(frozen=True, slots=True, kw_only=True)
class OnHold(Event):
    NAME: ClassVar[str] = "on_hold"
    setting: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshTokenRequested(Event):
    NAME: ClassVar[str] = "refresh_token"


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveCaptions(Event):
    NAME: ClassVar[str] = "live_captions"
    data: str = ""
    is_final: bool = False
    sent_time: float | None = None
    src_lang: str | None = None
    tgt_lang: str | None = None
    sources: tuple[Mapping[str, Any], ...] = ()


# --- direct media -----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class NewOffer(Event):
    NAME: ClassVar[str] = "new_offer"
    sdp: str


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateSdp(Event):
    NAME: ClassVar[str] = "update_sdp"
    sdp: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCandidate(Event):
    NAME: ClassVar[str] = "new_candidate"
    candidate: str
    mid: str | None = None
    ufrag: str | None = None
    pwd: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerDisconnect(Event):
    NAME: ClassVar[str] = "peer_disconnect"


# --- breakouts ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakoutBegin(Event):
    NAME: ClassVar[str] = "breakout_begin"
    breakout_uuid: str
    participant_uuid: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakoutEnd(Event):
    NAME: ClassVar[str] = "breakout_end"
    breakout_uuid: str
    participant_uuid: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakoutEvent(Event):
    """An event of another room, wrapped: ``event`` is parsed like a top-level one."""

    NAME: ClassVar[str] = "breakout_event"
    breakout_uuid: str
    event: Event


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakoutRefer(Event):
    NAME: ClassVar[str] = "breakout_refer"
    breakout_uuid: str
    breakout_name: str = ""
    requester_uuid: str = ""


# --- pass-through -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownEvent(Event):
    """An event this version does not know; delivered untouched."""

    wire_name: str

    @property
    def name(self) -> str:
        return self.wire_name


@dataclass(frozen=True, slots=True, kw_only=True)
class MalformedEvent(Event):
    """A known event whose data could not be read; ``error`` says what was wrong."""

    wire_name: str
    error: str

    @property
    def name(self) -> str:
        return self.wire_name


# --- local events (never on the wire) -----------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamConnected(Event):
    NAME: ClassVar[str] = "stream_connected"
    attempt: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamReconnecting(Event):
    NAME: ClassVar[str] = "stream_reconnecting"
    attempt: int
    delay: float
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionFailed(Event):
    """The session is over without a ``disconnect`` event (PexRTC ``onError``)."""

    NAME: ClassVar[str] = "session_failed"
    error: InfinityError


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleChanged(Event):
    NAME: ClassVar[str] = "role_changed"
    old: Role | None
    new: Role


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterChanged(Event):
    """After every roster change and each completed sync (PexRTC ``onRosterList``)."""

    NAME: ClassVar[str] = "roster_changed"
    participants: tuple[Participant, ...] = ()
