"""The room's one interface: its state, its commands and its events.

Everything that drives or shows the room — the button panel and its LEDs
(:mod:`appliance.hw`), the kiosk UI (:mod:`appliance.ui`), the far-end camera
control bridge, the microphone array's speaker tracking, and later the web
page and a local API — talks to the room through exactly these three types,
the way a commercial room device exposes one status tree, one command set
and one event feed (docs/room-api.md). Nothing above the room controller
imports ``appliance.pexrtc`` or ``appliance.media``; the controller owns the
PexRTC instance and the hardware drivers.

- :class:`RoomState` is a frozen snapshot; every change produces a new one.
- :data:`RoomCommand` is a closed union of small frozen dataclasses, all
  submitted through :meth:`Room.submit`, which answers with a
  :class:`CommandResult` and never raises into a button callback.
- :data:`RoomEvent` is what happened; subscribers get them through an async
  fan-out in which a slow subscriber drops its oldest events rather than
  blocking the call.

This module is pure data: no I/O, no asyncio objects beyond the Protocol's
signatures, so the hardware layer and the UI can be tested against a fake
room (``tests/support/room.py``) without a node.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, Protocol


class CallState(enum.StrEnum):
    """Where the room is in its life (docs/room-api.md has the diagram)."""

    STARTING = "starting"  # process start: site and devices being checked (boot splash)
    SETUP_NEEDED = "setup-needed"  # no usable site file or no meeting configured
    STANDBY = "standby"  # resting between meetings; display may be off
    IDLE = "idle"  # awake, not in a call, ready to join
    JOINING = "joining"  # token requested / media being set up
    PIN_REQUIRED = "pin-required"  # the node asks for a PIN the site file does not answer
    EXTENSION_REQUIRED = "extension-required"  # Virtual Reception asks for a conference
    RINGING = "ringing"  # an incoming call waits for accept/decline
    IN_CALL = "in-call"
    LEAVING = "leaving"
    WAITING_TO_REJOIN = "waiting-to-rejoin"  # backoff after a loss, per the rejoin policy
    ERROR = "error"  # stopped with a reason the room cannot fix by itself


class DeviceRole(enum.StrEnum):
    CAMERA = "camera"
    MICROPHONE = "microphone"
    SPEAKER = "speaker"
    PTZ = "ptz"
    DISPLAY = "display"
    GPIO = "gpio"
    CEC = "cec"


class ErrorKind(enum.StrEnum):
    """Failures the kiosk explains in plain words (each has a remedy text in the UI)."""

    NODE_UNREACHABLE = "node-unreachable"
    WRONG_PIN = "wrong-pin"
    CERTIFICATE = "certificate"
    CAMERA_MISSING = "camera-missing"
    MEETING_ENDED = "meeting-ended"
    LOCKED = "locked"
    WAITING_FOR_HOST = "waiting-for-host"
    REFUSED = "refused"
    CONFIGURATION = "configuration"
    REGISTRATION = "registration"
    DEVICE = "device"
    INTERNAL = "internal"


class DisconnectCause(enum.StrEnum):
    """Why a call ended; the rejoin policy and its counters are keyed by it."""

    LOCAL = "local"  # we left (button, command, standby, SIGTERM)
    NETWORK = "network"  # connection to the node lost
    NODE_RESTART = "node-restart"  # token refused / node came back without our session
    REFUSED = "refused"  # admission refused (PIN, locked, lobby timeout)
    ADMIN = "admin"  # a Host or administrator disconnected us
    TRANSFER = "transfer"  # moved to another conference (followed, not a loss)
    ENDED = "ended"  # the meeting ended (last Host left, disconnectAll)
    MEDIA = "media"  # media stalled and could not be recovered in-call


@dataclass(frozen=True, slots=True)
class Participant:
    uuid: str
    display_name: str
    role: Literal["host", "guest"] = "guest"
    muted: bool = False  # audio muted by a Host (server side)
    hand_raised: bool = False
    presenting: bool = False
    speaking: bool = False
    is_self: bool = False


@dataclass(frozen=True, slots=True)
class Meeting:
    """The conference we are in (empty name outside a call)."""

    name: str = ""
    alias: str = ""
    started_at: float | None = None  # monotonic seconds, for the duration shown
    locked: bool = False
    guests_muted: bool = False
    recording: bool = False
    streaming: bool = False
    transcribing: bool = False
    classification: str = ""  # classification banner text, "" for none
    presenter: str = ""  # display name while someone presents, "" otherwise
    layout: str = ""


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    role: DeviceRole
    present: bool
    name: str = ""
    detail: str = ""  # e.g. "unplugged at 10:32", "VISCA timeout"


@dataclass(frozen=True, slots=True)
class RoomError:
    kind: ErrorKind
    message: str  # plain words for people in the room; never a PIN, token or password


@dataclass(frozen=True, slots=True)
class IncomingCall:
    caller: str  # display name or alias of who is calling
    conference: str
    call_id: str  # opaque handle for Answer/Decline


@dataclass(frozen=True, slots=True)
class RoomState:
    """One snapshot of the room. Frozen: compare by identity or value, never mutate."""

    call: CallState = CallState.STARTING
    room_name: str = ""
    node: str = ""  # node address shown on the splash (no credentials)
    version: str = ""
    meeting: Meeting = field(default_factory=Meeting)
    microphone_muted: bool = False  # our own mute (button/command)
    muted_by_host: bool = False  # the server muted us (LED and status bar show it too)
    camera_privacy: bool = False  # our video muted
    hand_raised: bool = False
    participants: tuple[Participant, ...] = ()
    devices: tuple[DeviceStatus, ...] = ()
    registered: bool = False  # registration for incoming calls (False where not configured)
    incoming: IncomingCall | None = None
    recovering: str = ""  # ladder step under way ("" when none), e.g. "media", "rejoin"
    error: RoomError | None = None
    setup_missing: tuple[str, ...] = ()  # what the site file lacks, for the set-up screen
    waiting_for: str = ""  # what JOINING waits for ("token", "media", "host"...)
    speaker_tracking: bool = False
    fecc_active: bool = False  # the far end is moving our camera right now
    # monotonic time (the controller's clock) a person last moved our camera: a preset button,
    # the panel, the API (any RecallPreset/StorePreset/MoveCamera not from speaker tracking);
    # None = never. Speaker tracking stays away for its hold-off after it.
    camera_moved_at: float | None = None

    @property
    def microphone_silent(self) -> bool:
        """True whenever the room cannot be heard: our mute, a Host's, or all Guests muted."""
        self_role = next((p.role for p in self.participants if p.is_self), "guest")
        guests_silenced = self.meeting.guests_muted and self_role == "guest"
        return self.microphone_muted or self.muted_by_host or guests_silenced


# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Join:
    """Join the configured meeting (or ``alias`` when given)."""

    alias: str = ""


@dataclass(frozen=True, slots=True)
class Leave:
    pass


@dataclass(frozen=True, slots=True)
class MuteMicrophone:
    on: bool


@dataclass(frozen=True, slots=True)
class CameraPrivacy:
    on: bool


@dataclass(frozen=True, slots=True)
class RaiseHand:
    on: bool


@dataclass(frozen=True, slots=True)
class SetLayout:
    layout: str  # Infinity layout name, e.g. "1:7", "4:0"; "" cycles to the next one


@dataclass(frozen=True, slots=True)
class RecallPreset:
    preset: int  # 0-based VISCA memory number as the profile numbers it (1..N)
    source: str = ""  # "" = a person (button, panel, API); "tracking" = speaker tracking


@dataclass(frozen=True, slots=True)
class StorePreset:
    preset: int


@dataclass(frozen=True, slots=True)
class MoveCamera:
    """Drive our own PTZ camera (keys, panel); ``stop`` halts every axis."""

    pan: Literal[-1, 0, 1] = 0  # -1 left, +1 right
    tilt: Literal[-1, 0, 1] = 0  # -1 down, +1 up
    zoom: Literal[-1, 0, 1] = 0  # -1 wide, +1 tele
    stop: bool = False


@dataclass(frozen=True, slots=True)
class SendFecc:
    """Far-end camera control towards ``target`` (a participant uuid, "" for the main speaker)."""

    action: Literal["start", "continue", "stop"]
    axis: Literal["pan", "tilt", "zoom"]
    direction: Literal["left", "right", "up", "down", "in", "out"]
    target: str = ""
    # how long the far end keeps moving without another signal; 0 means the document's
    # recommendation: 1000 ms for start, 200 ms for continue (appliance/services/fecc.py)
    timeout_ms: int = 0


@dataclass(frozen=True, slots=True)
class SendDtmf:
    digits: str


@dataclass(frozen=True, slots=True)
class EnterPin:
    """The PIN (or empty for Guest) typed at the PIN screen; never logged."""

    pin: str


@dataclass(frozen=True, slots=True)
class EnterExtension:
    extension: str


@dataclass(frozen=True, slots=True)
class Standby:
    pass


@dataclass(frozen=True, slots=True)
class Wake:
    source: str = ""  # "button", "key", "touch", "call", "schedule"


@dataclass(frozen=True, slots=True)
class Answer:
    call_id: str = ""  # "" answers the call that is ringing


@dataclass(frozen=True, slots=True)
class Decline:
    call_id: str = ""


@dataclass(frozen=True, slots=True)
class SpeakerTracking:
    on: bool


@dataclass(frozen=True, slots=True)
class Restart:
    """Leave and start the room afresh (new client, devices reopened)."""


RoomCommand = (
    Join
    | Leave
    | MuteMicrophone
    | CameraPrivacy
    | RaiseHand
    | SetLayout
    | RecallPreset
    | StorePreset
    | MoveCamera
    | SendFecc
    | SendDtmf
    | EnterPin
    | EnterExtension
    | Standby
    | Wake
    | Answer
    | Decline
    | SpeakerTracking
    | Restart
)


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What :meth:`Room.submit` answers: accepted, or refused with a reason in plain words."""

    ok: bool
    reason: str = ""


ACCEPTED = CommandResult(True)


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateChanged:
    old: RoomState
    new: RoomState
    cause: str  # one short phrase, also the structured log line's "cause"


@dataclass(frozen=True, slots=True)
class ParticipantJoined:
    participant: Participant


@dataclass(frozen=True, slots=True)
class ParticipantLeft:
    participant: Participant


@dataclass(frozen=True, slots=True)
class MutedByHost:
    muted: bool


@dataclass(frozen=True, slots=True)
class ChatMessage:
    origin: str
    text: str


@dataclass(frozen=True, slots=True)
class DevicePresence:
    device: DeviceStatus


@dataclass(frozen=True, slots=True)
class IncomingCallEvent:
    call: IncomingCall
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class RecoveryStarted:
    step: str  # "stream", "media", "rejoin", "restart"
    cause: DisconnectCause | str


@dataclass(frozen=True, slots=True)
class RecoveryFinished:
    step: str
    ok: bool
    duration_s: float


@dataclass(frozen=True, slots=True)
class ErrorRaised:
    error: RoomError


@dataclass(frozen=True, slots=True)
class FeccReceived:
    """The far end asks to move our camera (already applied by the controller's FECC bridge)."""

    action: str
    axis: str
    direction: str
    timeout_ms: int


@dataclass(frozen=True, slots=True)
class SpeechDirection:
    """Direction of arrival from the microphone array (degrees, 0 = straight ahead)."""

    azimuth_deg: float
    confidence: float


@dataclass(frozen=True, slots=True)
class SplashScreen:
    """A direct-media splash screen the node asks to show (PexRTC onSplashScreen); "" hides it."""

    key: str
    text: str = ""


RoomEvent = (
    StateChanged
    | ParticipantJoined
    | ParticipantLeft
    | MutedByHost
    | ChatMessage
    | DevicePresence
    | IncomingCallEvent
    | RecoveryStarted
    | RecoveryFinished
    | ErrorRaised
    | FeccReceived
    | SpeechDirection
    | SplashScreen
)


class Picture(Protocol):
    """A decoded picture the kiosk can draw without importing the media engine.

    The media engine's ``DisplayFrame`` satisfies it: ``draw_into`` converts
    straight into a surface's memory (docs/media.md, "the cheapest display path").
    """

    stream: str  # "main" (composed remote video), "presentation", or "self"
    width: int
    height: int
    pixel_format: str  # what draw_into writes, e.g. "bgra"

    def draw_into(self, address: int, pitch: int) -> None: ...


class PictureFeed(Protocol):
    """The newest picture of each stream, taken from the media engine's latest-frame slots."""

    def latest(self, stream: str) -> Picture | None:
        """The newest picture of ``stream`` not yet taken, or None (never blocks)."""
        ...


class Room(Protocol):
    """What the panel, the kiosk and later the API hold: the controller, or a fake of it in tests."""

    @property
    def state(self) -> RoomState: ...

    async def submit(self, command: RoomCommand) -> CommandResult:
        """Carry out one command; answers, never raises (a refusal says why)."""
        ...

    def subscribe(self, maxsize: int = 256) -> AsyncIterator[RoomEvent]:
        """Events from now on; a subscriber that falls ``maxsize`` behind loses its oldest."""
        ...

    @property
    def pictures(self) -> PictureFeed:
        """Decoded video for the kiosk (remote, presentation, self-view)."""
        ...
