"""Wire data types of Infinity's client REST API v2, shared by client and lab node.

The reference (``docs/reference/infinity-client-api.md`` §5) mixes three
boolean encodings in one object: ``"YES"/"NO"`` strings, ``"ALLOW"/"DENY"``,
``"On"/"Off"`` and plain JSON booleans. This module is the one place that
knows which field uses which, in both directions: :meth:`Participant.from_wire`
accepts every form a real node has been seen to send (and a few it might),
:meth:`Participant.to_wire` produces exactly what Pexip's own clients expect.

No I/O here: the client parses with these types and the lab node renders
with them, so the two can never disagree about an encoding.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Final

API_PREFIX: Final = "/api/client/v2"


class Role(enum.StrEnum):
    """Own role as ``request_token`` reports it (upper case on the wire)."""

    HOST = "HOST"
    GUEST = "GUEST"

    @classmethod
    def parse(cls, value: object) -> Role:
        """Accept ``HOST``/``GUEST`` and the participant-object forms ``chair``/``guest``."""
        text = str(value or "").strip().lower()
        if text in ("host", "chair"):
            return cls.HOST
        if text == "guest":
            return cls.GUEST
        raise ValueError(f"role: expected HOST, GUEST, chair or guest, found {value!r}")

    @property
    def participant_role(self) -> str:
        """The spelling participant objects use: ``chair`` or ``guest``."""
        return "chair" if self is Role.HOST else "guest"


class ServiceType(enum.StrEnum):
    CONNECTING = "connecting"
    WAITING_ROOM = "waiting_room"
    IVR = "ivr"
    CONFERENCE = "conference"
    LECTURE = "lecture"
    GATEWAY = "gateway"
    TEST_CALL = "test_call"
    MEDIA_PLAYBACK = "media_playback"


class PinStatus(enum.StrEnum):
    """What ``onSetup`` reports as ``pin_status``."""

    NONE = "none"
    REQUIRED = "required"
    OPTIONAL = "optional"


# --- boolean encodings (§5.1) ---------------------------------------------

_TRUE_WORDS: Final = frozenset({"yes", "true", "on", "allow", "1"})
_FALSE_WORDS: Final = frozenset({"no", "false", "off", "deny", "0", "", "unknown", "none"})


def parse_flag(value: object) -> bool:
    """Read any boolean encoding the node uses: YES/NO, ALLOW/DENY, On/Off, JSON bool."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return value != 0
    text = str(value).strip().lower()
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    raise ValueError(f"expected a boolean flag (YES/NO, ALLOW/DENY, On/Off, true/false), found {value!r}")


def yes_no(value: bool) -> str:
    return "YES" if value else "NO"


def parse_float(value: object, default: float = 0.0) -> float:
    """Times and spotlight orders are float Unix seconds; ``0`` or missing means unset."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"expected a number, found {value!r}") from None


def parse_expires(value: object, default: float = 120.0) -> float:
    """``expires`` is a string of seconds on the wire; PexRTC assumes 120 when missing."""
    seconds = parse_float(value, default)
    if seconds <= 0:
        raise ValueError(f"expires: expected a positive number of seconds, found {value!r}")
    return seconds


# Field name -> encoding, for the fields §5.1 lists as non-JSON booleans.
_YES_NO_FIELDS: Final = (
    "is_muted",
    "is_presenting",
    "is_video_call",
    "is_audio_only_call",
    "mute_supported",
    "transfer_supported",
    "disconnect_supported",
    "fecc_supported",
    "presentation_supported",
)


@dataclass(slots=True)
class Participant:
    """One roster entry (§5.2). Python booleans inside, wire encodings outside."""

    uuid: str
    display_name: str = ""
    overlay_text: str = ""
    role: Role = Role.GUEST
    service_type: str = ServiceType.CONFERENCE.value
    protocol: str = "api"
    call_direction: str = "in"
    start_time: float = 0.0
    buzz_time: float = 0.0
    spotlight: float = 0.0
    last_spoken_time: float = 0.0
    is_muted: bool = False
    is_client_muted: bool = False
    is_video_muted: bool = False
    is_presenting: bool = False
    rx_presentation_policy: bool = True
    is_video_call: bool = False
    is_audio_only_call: bool = False
    has_media: bool = False
    mute_supported: bool = True
    transfer_supported: bool = True
    disconnect_supported: bool = True
    fecc_supported: bool = False
    presentation_supported: bool = True
    encryption: bool = True
    is_external: bool = False
    external_node_uuid: str = ""
    is_streaming_conference: bool = False
    is_idp_authenticated: bool = False
    is_video_silent: bool = False
    is_main_video_dropped_out: bool = False
    is_conjoined: bool = False
    is_transferring: bool = False
    needs_presentation_in_mix: bool = False
    supports_direct_chat: bool = True
    can_receive_personal_mix: bool = False
    local_alias: str = ""
    uri: str = ""
    vendor: str = ""
    call_tag: str = ""
    api_url: str = ""
    receive_from_video_mix: dict[str, Any] = field(default_factory=dict)
    # Anything the node sent that this version does not model, kept so that
    # nothing is lost when an application asks for the raw object.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_host(self) -> bool:
        return self.role is Role.HOST

    @property
    def hand_raised(self) -> bool:
        return self.buzz_time > 0

    @property
    def is_spotlighted(self) -> bool:
        return self.spotlight > 0

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Participant:
        """Parse a participant object; raises ``ValueError`` naming the bad field."""
        if not isinstance(data, Mapping):
            raise ValueError(f"participant: expected an object, found {type(data).__name__}")
        uuid = data.get("uuid")
        if not isinstance(uuid, str) or not uuid:
            raise ValueError(f"participant: uuid: expected a non-empty string, found {uuid!r}")
        known = {f.name for f in fields(cls)} - {"extra"}
        values: dict[str, Any] = {"uuid": uuid}
        for name in known - {"uuid"}:
            if name not in data:
                continue
            raw = data[name]
            try:
                values[name] = _parse_participant_field(name, raw)
            except ValueError as exc:
                raise ValueError(f"participant {uuid}: {name}: {exc}") from None
        if "display_name" not in values and isinstance(data.get("uri"), str):
            values["display_name"] = data["uri"].removeprefix("sip:")
        values["extra"] = {k: v for k, v in data.items() if k not in known}
        return cls(**values)

    def to_wire(self) -> dict[str, Any]:
        """Render exactly as Infinity does: YES/NO, ALLOW/DENY, On/Off, floats."""
        out: dict[str, Any] = dict(self.extra)
        for name, value in asdict(self).items():
            if name == "extra":
                continue
            if name in _YES_NO_FIELDS:
                out[name] = yes_no(value)
            elif name == "rx_presentation_policy":
                out[name] = "ALLOW" if value else "DENY"
            elif name == "encryption":
                out[name] = "On" if value else "Off"
            elif name == "role":
                out[name] = Role(value).participant_role
            else:
                out[name] = value
        return out


_FLOAT_FIELDS: Final = frozenset({"start_time", "buzz_time", "spotlight", "last_spoken_time"})
_STR_FIELDS: Final = frozenset(
    {
        "display_name",
        "overlay_text",
        "service_type",
        "protocol",
        "call_direction",
        "external_node_uuid",
        "local_alias",
        "uri",
        "vendor",
        "call_tag",
        "api_url",
    }
)


def _parse_participant_field(name: str, raw: Any) -> Any:
    if name == "role":
        return Role.parse(raw)
    if name in _FLOAT_FIELDS:
        return parse_float(raw)
    if name in _STR_FIELDS:
        if raw is None:
            return ""
        if not isinstance(raw, str):
            raise ValueError(f"expected a string, found {raw!r}")
        return raw
    if name == "receive_from_video_mix":
        return dict(raw) if isinstance(raw, Mapping) else {}
    return parse_flag(raw)


@dataclass(slots=True)
class ConferenceStatus:
    """``conference_update`` / ``GET conference_status`` (§5.3)."""

    locked: bool = False
    guests_muted: bool = False
    started: bool = True
    all_muted: bool = False
    presentation_allowed: bool = True
    direct_media: bool = False
    live_captions_available: bool = False
    breakout_rooms: bool = False
    guests_can_unmute: bool = True
    guests_can_present: bool = True
    classification: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ConferenceStatus:
        if not isinstance(data, Mapping):
            raise ValueError(f"conference status: expected an object, found {type(data).__name__}")
        known = {f.name for f in fields(cls)} - {"extra"}
        values: dict[str, Any] = {}
        for name in known:
            if name not in data:
                continue
            raw = data[name]
            if name == "classification":
                values[name] = dict(raw) if isinstance(raw, Mapping) else None
                continue
            try:
                values[name] = parse_flag(raw)
            except ValueError as exc:
                raise ValueError(f"conference status: {name}: {exc}") from None
        values["extra"] = {k: v for k, v in data.items() if k not in known}
        return cls(**values)

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        for name, value in asdict(self).items():
            if name == "extra" or (name == "classification" and value is None):
                continue
            out[name] = value
        return out


@dataclass(frozen=True, slots=True)
class StageEntry:
    """One element of the ``stage`` event array."""

    participant_uuid: str
    stage_index: int
    vad: int

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> StageEntry:
        if not isinstance(data, Mapping) or not isinstance(data.get("participant_uuid"), str):
            raise ValueError(f"stage entry: expected {{participant_uuid, stage_index, vad}}, found {data!r}")
        return cls(
            participant_uuid=data["participant_uuid"],
            stage_index=int(parse_float(data.get("stage_index"))),
            vad=int(parse_float(data.get("vad"))),
        )

    def to_wire(self) -> dict[str, Any]:
        return {"participant_uuid": self.participant_uuid, "stage_index": self.stage_index, "vad": self.vad}


# Every event name in the reference (§6). Unknown names must pass through.
EVENT_NAMES: Final = frozenset(
    {
        "participant_sync_begin",
        "participant_sync_end",
        "participant_create",
        "participant_update",
        "participant_delete",
        "conference_update",
        "layout",
        "stage",
        "presentation_start",
        "presentation_stop",
        "presentation_ended",
        "presentation_frame",
        "message_received",
        "call_disconnected",
        "disconnect",
        "refer",
        "cancel_refer",
        "on_hold",
        "fecc",
        "refresh_token",
        "live_captions",
        "splash_screen",
        "new_offer",
        "update_sdp",
        "new_candidate",
        "peer_disconnect",
        "breakout_begin",
        "breakout_end",
        "breakout_event",
        "breakout_refer",
    }
)

# Layout ids the document lists for transformLayout / onLayoutUpdate.
LAYOUTS: Final = (
    "1:0",
    "1:7",
    "1:21",
    "2:21",
    "1:33",
    "4:0",
    "9:0",
    "16:0",
    "25:0",
    "one_main_twelve_around",
    "two_mains_eight_around",
    "ac",
    "teams",
)

# transformLayout's ``transforms`` object (document; reference §3.6).
TRANSFORM_LAYOUT_KEYS: Final = frozenset({"layout", "host_layout", "guest_layout"})
TRANSFORM_FLAG_KEYS: Final = frozenset(
    {
        "enable_extended_ac",
        "streaming_indicator",
        "recording_indicator",
        "transcribing_indicator",
        "enable_active_speaker_indication",
        "enable_overlay_text",
        "plus_n_pip_enabled",
    }
)
TRANSFORM_KEYS: Final = TRANSFORM_LAYOUT_KEYS | TRANSFORM_FLAG_KEYS | {"streaming", "free_form_overlay_text"}
TRANSFORM_STREAMING_KEYS: Final = frozenset(
    {"layout", "waiting_screen_enabled", "plus_n_pip_enabled", "indicators_enabled", "ac_presentation_in_mix"}
)

# FECC vocabulary (document: sendFECC / onFECC).
FECC_ACTIONS: Final = ("start", "stop", "continue")
FECC_DIRECTIONS: Final = {"pan": ("left", "right"), "tilt": ("up", "down"), "zoom": ("in", "out")}

SPLASH_SCREEN_KEYS: Final = (
    "direct_media_welcome",
    "direct_media_waiting_for_host",
    "direct_media_other_participants_audio_only",
    "direct_media_escalate",
    "direct_media_deescalate",
)
