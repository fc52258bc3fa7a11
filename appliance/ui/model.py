"""What the kiosk shows, decided from the room's state and events (no drawing, no SDL).

The SDL thread owns one :class:`KioskModel`. The room's newest
:class:`~appliance.services.room_api.RoomState` and its events come in from
the event loop (docs/kiosk.md, "Threads"); keys and taps change the local
parts (overlays open, digits typed). Time is passed in as ``now``
(monotonic seconds), so toasts and timeouts are tested without sleeping.
Every change sets :attr:`KioskModel.changed`, which tells the display
thread the picture must be drawn again.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from appliance.services.room_api import (
    CallState,
    ChatMessage,
    DevicePresence,
    DeviceRole,
    ErrorRaised,
    MutedByHost,
    ParticipantJoined,
    ParticipantLeft,
    RecoveryFinished,
    RecoveryStarted,
    RoomEvent,
    RoomState,
    SplashScreen,
    StateChanged,
)
from appliance.ui.i18n import N_


class Screen(enum.StrEnum):
    """The full-screen views; overlays (roster, help, toasts, notices) go on top of them."""

    SPLASH = "splash"
    SETUP = "setup"
    STANDBY = "standby"
    JOINING = "joining"
    PIN = "pin"
    EXTENSION = "extension"
    INCOMING = "incoming"
    ERROR = "error"
    IN_CALL = "in-call"
    PRESENTATION = "presentation"


_SCREEN_OF_CALL_STATE = {
    CallState.STARTING: Screen.SPLASH,
    CallState.SETUP_NEEDED: Screen.SETUP,
    CallState.STANDBY: Screen.STANDBY,
    CallState.IDLE: Screen.STANDBY,
    CallState.JOINING: Screen.JOINING,
    CallState.LEAVING: Screen.JOINING,
    CallState.WAITING_TO_REJOIN: Screen.JOINING,
    CallState.PIN_REQUIRED: Screen.PIN,
    CallState.EXTENSION_REQUIRED: Screen.EXTENSION,
    CallState.RINGING: Screen.INCOMING,
    CallState.IN_CALL: Screen.IN_CALL,
    CallState.ERROR: Screen.ERROR,
}

DEVICE_NAMES = {
    DeviceRole.CAMERA: N_("Camera"),
    DeviceRole.MICROPHONE: N_("Microphone"),
    DeviceRole.SPEAKER: N_("Loudspeaker"),
    DeviceRole.PTZ: N_("Camera control"),
    DeviceRole.DISPLAY: N_("Display"),
    DeviceRole.GPIO: N_("Buttons"),
    DeviceRole.CEC: N_("TV control"),
}


class ToastKind(enum.StrEnum):
    CHAT = "chat"
    INFO = "info"
    ALERT = "alert"


@dataclass(frozen=True, slots=True)
class Toast:
    """A short message in the corner; ``text`` is already translated, ``args`` filled in."""

    kind: ToastKind
    text: str
    origin: str  # who wrote it (chat), "" otherwise
    until: float


class KioskModel:
    """The kiosk's view state. Not thread-safe: only the SDL thread touches it."""

    TOAST_S = 8.0
    MAX_TOASTS = 3
    CONTROLS_S = 8.0
    ARRIVALS_QUIET_S = 3.0  # the roster a call starts with is not "joined" news

    def __init__(self, state: RoomState | None = None) -> None:
        self.state = state or RoomState()
        self.toasts: list[Toast] = []
        self.roster_open = False
        self.help_open = False
        self.selfview_hidden = False
        self.entry = ""  # digits typed on the PIN / extension screen (never logged)
        self.splash: SplashScreen | None = None
        self.recovery = ""  # recovery step under way, from events (the state's field also counts)
        self.controls_until = 0.0  # touch controls shown until then
        self.in_call_since: float | None = None
        self.pin_sent = False  # a PIN was typed and sent: asked again means it was wrong
        self.pin_rejected = False
        # presence by device role, newest word wins: a DevicePresence event, or a state whose
        # entry for that device changed (the controller may say either first, or only one)
        self.presence: dict[DeviceRole, bool] = {d.role: d.present for d in self.state.devices}
        self.visited: list[str] = []
        self.changed = True
        self._note_screen()

    # --- inputs from the room ---------------------------------------------------------------
    def apply_state(self, state: RoomState, now: float) -> None:
        if state is self.state:
            return
        old_screen = self.screen
        before = {d.role: d for d in self.state.devices}
        for device in state.devices:
            if before.get(device.role) != device:
                self.presence[device.role] = device.present
        if state.call is CallState.IN_CALL and self.state.call is not CallState.IN_CALL:
            self.in_call_since = now
        self.state = state
        if state.call is not CallState.IN_CALL:
            self.splash = None
            self.roster_open = False
        if not state.recovering and self.recovery and state.call is CallState.IN_CALL:
            self.recovery = ""
        if self.screen is not old_screen and self.screen in (Screen.PIN, Screen.EXTENSION):
            self.entry = ""
            self.pin_rejected = self.pin_sent and self.screen is Screen.PIN
            self.pin_sent = False
        if self.screen in (Screen.IN_CALL, Screen.STANDBY, Screen.ERROR):
            self.pin_sent = self.pin_rejected = False
        self.changed = True
        self._note_screen()

    def apply_event(self, event: RoomEvent, now: float, translate: Callable[[str], str]) -> None:
        """Fold one room event into what is shown; ``translate`` is the room language's gettext."""
        _ = translate
        match event:
            case StateChanged(new=new):
                self.apply_state(new, now)
            case ChatMessage(origin=origin, text=text):
                self.toast(ToastKind.CHAT, text, now, origin=origin)
            case ParticipantJoined(participant=p) if not p.is_self and self._news(now):
                self.toast(ToastKind.INFO, _("{name} joined").format(name=p.display_name), now)
            case ParticipantLeft(participant=p) if not p.is_self and self._news(now):
                self.toast(ToastKind.INFO, _("{name} left").format(name=p.display_name), now)
            case MutedByHost(muted=True):
                self.toast(ToastKind.ALERT, _("A Host muted this room's microphone"), now)
            case MutedByHost(muted=False):
                self.toast(ToastKind.INFO, _("A Host unmuted this room's microphone"), now)
            case DevicePresence(device=device):
                self.presence[device.role] = device.present
                self._note_screen()
                name = _(DEVICE_NAMES[device.role])
                if device.present:
                    self.toast(ToastKind.INFO, _("{device} is back").format(device=name), now)
                else:
                    self.toast(ToastKind.ALERT, _("{device} unplugged").format(device=name), now)
            case RecoveryStarted(step=step):
                self.recovery = step
                self.changed = True
            case RecoveryFinished(ok=ok, duration_s=duration):
                self.recovery = ""
                if ok:
                    text = _("Connection restored after {seconds:.0f} s").format(seconds=duration)
                    self.toast(ToastKind.INFO, text, now)
                else:
                    self.toast(ToastKind.ALERT, _("Could not restore the connection"), now)
            case SplashScreen(key=key):
                self.splash = event if key else None
                self.changed = True
                if key:
                    self._visit("splash-screen")
            case ErrorRaised():
                self.changed = True  # the state carries the error; redraw for it
            case _:
                pass

    def refused(self, reason: str, now: float) -> None:
        """A command the room refused: say why, in the room's words."""
        self.toast(ToastKind.ALERT, reason, now)

    def _news(self, now: float) -> bool:
        """Arrivals and departures are news in a call, after the roster it started with."""
        since = self.in_call_since
        return (
            self.state.call is CallState.IN_CALL
            and since is not None
            and now - since >= self.ARRIVALS_QUIET_S
        )

    # --- local -------------------------------------------------------------------------------
    def toast(self, kind: ToastKind, text: str, now: float, *, origin: str = "") -> None:
        self.toasts.append(Toast(kind, text, origin, now + self.TOAST_S))
        del self.toasts[: -self.MAX_TOASTS]
        self.changed = True
        self._visit("toast")

    def expire(self, now: float) -> None:
        """Drop toasts and touch controls whose time is up (marks a change when any did)."""
        kept = [toast for toast in self.toasts if toast.until > now]
        if len(kept) != len(self.toasts):
            self.toasts = kept
            self.changed = True
        if self.controls_until and now >= self.controls_until:
            self.controls_until = 0.0
            self.changed = True

    def show_controls(self, now: float) -> None:
        self.controls_until = now + self.CONTROLS_S
        self.changed = True

    def controls_shown(self, now: float) -> bool:
        return now < self.controls_until

    def toggle_roster(self) -> None:
        self.roster_open = not self.roster_open
        self.help_open = False
        self.changed = True
        if self.roster_open:
            self._visit("roster")

    def toggle_help(self) -> None:
        self.help_open = not self.help_open
        self.roster_open = False
        self.changed = True
        if self.help_open:
            self._visit("help")

    def toggle_selfview(self) -> None:
        self.selfview_hidden = not self.selfview_hidden
        self.changed = True

    def close_overlays(self) -> bool:
        """Close the roster or help; False when none was open (the key then means "back")."""
        if not (self.roster_open or self.help_open):
            return False
        self.roster_open = self.help_open = False
        self.changed = True
        return True

    # --- derived -----------------------------------------------------------------------------
    @property
    def screen(self) -> Screen:
        screen = _SCREEN_OF_CALL_STATE[self.state.call]
        if screen is Screen.IN_CALL and self.state.meeting.presenter:
            return Screen.PRESENTATION
        return screen

    @property
    def recovering(self) -> str:
        return self.state.recovering or self.recovery

    @property
    def missing_devices(self) -> tuple[str, ...]:
        """Devices absent now (the state's order, then devices only events spoke of)."""
        roles = [d.role for d in self.state.devices]
        roles += [role for role in self.presence if role not in roles]
        return tuple(DEVICE_NAMES[role] for role in roles if not self.presence.get(role, True))

    def _note_screen(self) -> None:
        self._visit(str(self.screen))
        if self.recovering:
            self._visit("recovery")
        if self.missing_devices:
            self._visit("device-notice")

    def _visit(self, name: str) -> None:
        if name not in self.visited:
            self.visited.append(name)
