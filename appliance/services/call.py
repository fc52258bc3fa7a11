"""One attempt at being in the site's meeting: a fresh PexRTC client from join to the end.

The room controller makes a :class:`RoomCall` per join (and per rejoin: a
fresh client, never a reused one, is the ladder's third step in
docs/daemon.md). It drives the asyncio PexRTC core through the document's
sequence — ``make_call`` → ``onSetup`` (PIN / Virtual Reception extension
answered from the site file, or asked on the screen) → ``connect`` →
``onConnect`` — and turns the core's callbacks into what the controller
keeps: call progress, roster and meeting flags, and one :class:`CallEnded`
that says why the call is over. A transfer is followed by the core itself
(``onCallTransfer``), and is reported as progress, not as an end.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, Protocol

from appliance.config.site import SiteConfig
from appliance.errors import ApplianceError
from appliance.infinity.models import Participant as WireParticipant
from appliance.log import get_logger
from appliance.pexrtc.call import JoinSettings, NotConnected
from appliance.pexrtc.core import Conference
from appliance.pexrtc.media import MediaOutputs, MediaPreferences
from appliance.services import room_api as api
from appliance.services.calls_in import Invitation
from appliance.services.causes import cause_of_disconnect, cause_of_error

log = get_logger(__name__)

LEAVE_REASON = "User initiated disconnect"
# What to do when a meeting wants single sign-on: a room has no person to sign in.
_SSO_REMEDY = (
    "ask the meeting's administrator to let rooms in without sign-in (a PIN, or an alias "
    "without single sign-on) and put that in the site file"
)


@dataclass(frozen=True, slots=True)
class CallEnded:
    """Why a call is over; ``error`` is the typed failure when there was one."""

    cause: api.DisconnectCause
    detail: str
    error: Exception | None = None


class CallListener(Protocol):
    """What the controller hears from a call (all on the event loop)."""

    def call_progress(
        self, call: api.CallState, cause: str, *, waiting_for: str = "", alias: str = ""
    ) -> None:
        """The call moved on (joining, waiting for a PIN, in the meeting, transferred)."""

    def roster_changed(self, participants: tuple[api.Participant, ...], meeting: api.Meeting) -> None:
        """The roster or the conference's flags changed."""

    def room_event(self, event: api.RoomEvent) -> None:
        """Chat, splash screens and other events passed through as they are."""

    def media_up(self, call: RoomCall) -> None:
        """A media call is up (``onConnect(stream)``): media liveness starts watching."""

    def far_end_camera(self, signal: dict[str, Any]) -> None:
        """The far end steers our camera (``onFECC``): the PTZ camera moves before anyone is told."""


def participant(wire: WireParticipant, self_uuid: str | None) -> api.Participant:
    return api.Participant(
        uuid=wire.uuid,
        display_name=wire.display_name,
        role="host" if wire.is_host else "guest",
        muted=wire.is_muted,
        hand_raised=wire.hand_raised,
        presenting=wire.is_presenting,
        speaking=False,
        is_self=wire.uuid == self_uuid,
    )


class RoomCall:
    """A fresh client for one join; :meth:`run` returns when the call is over."""

    def __init__(
        self,
        site: SiteConfig,
        prefs: MediaPreferences,
        outputs: MediaOutputs,
        listener: CallListener,
        *,
        alias: str = "",
        microphone_muted: bool = False,
        camera_privacy: bool = False,
        invitation: Invitation | None = None,
        fecc_supported: bool = False,
    ) -> None:
        self.site = site
        # what makeCall advertises: the room has a PTZ camera answering now (docs/hardware.md)
        self.fecc_supported = fecc_supported
        # An answered incoming call joins the offered conference with its one-time token.
        self.invitation = invitation
        self.alias = invitation.conference_alias if invitation is not None else alias or site.conference.alias
        self._prefs = prefs
        self._listener = listener
        self._microphone_muted = microphone_muted
        self._camera_privacy = camera_privacy
        self.conference = Conference(
            self._on_callback,
            verify_tls=site.node.verify_tls,
            ca_file=str(site.node.ca_file) if site.node.ca_file else None,
            outputs=outputs,
        )
        self.conference.mute_audio(microphone_muted)
        self.conference.mute_video(camera_privacy)
        self.ended: asyncio.Future[CallEnded] = asyncio.get_running_loop().create_future()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._pins_sent = 0
        self._extension_sent = False
        self._idp_sent = False
        self._pin_from_screen: str | None = None
        self._in_call = False
        self._roster_uuids: dict[str, api.Participant] = {}
        self.transfers = 0

    # -- lifecycle ------------------------------------------------------------

    async def run(self, cause: str = "joining") -> CallEnded:
        conference = self.site.conference
        settings = JoinSettings(
            call_tag=conference.call_tag or None,
            client_id=conference.client_id,
            bandwidth_in=conference.bandwidth_in,
            bandwidth_out=conference.bandwidth_out,
            fecc_supported=self.fecc_supported,
        )
        self._listener.call_progress(api.CallState.JOINING, cause, waiting_for="token", alias=self.alias)
        await self.conference.make_call(
            self.site.node.url,
            self.alias,
            conference.display_name,
            call_type=conference.call_type,
            settings=settings,
            prefs=self._prefs,
            one_time_token=self.invitation.token if self.invitation is not None else None,
            registration_token=self.invitation.registration_token if self.invitation is not None else None,
        )
        return await self.ended

    def end(self, ended: CallEnded) -> None:
        """Declare the call over (liveness gave up, the room leaves); the first word wins."""
        if not self.ended.done():
            self.ended.set_result(ended)

    async def close(self, *, leave: bool) -> None:
        """Tear the client down; ``leave`` releases the token with PexRTC's user reason."""
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            if leave:
                await self.conference.disconnect(reason=LEAVE_REASON)
            await self.conference.close()

    @property
    def in_call(self) -> bool:
        return self._in_call

    # -- answers from the screen ---------------------------------------------------

    def enter_pin(self, pin: str) -> None:
        self._pin_from_screen = pin
        self._pins_sent += 1
        self._spawn(self.conference.connect(pin or None))

    def enter_extension(self, extension: str) -> None:
        self._extension_sent = True
        self._spawn(self.conference.connect(None, extension))

    # -- the core's callbacks --------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_callback(self, name: str, *args: Any) -> None:
        handler = getattr(self, "_cb_" + name, None)
        if handler is not None:
            handler(*args)

    def _cb_onSetup(self, stream: Any, pin_status: str, extension: Any, idp: Any) -> None:
        site = self.site
        if extension:
            if site.conference.extension and not self._extension_sent:
                self._extension_sent = True
                self._spawn(self.conference.connect(None, site.conference.extension))
                return
            self._listener.call_progress(api.CallState.EXTENSION_REQUIRED, "the reception asks for a meeting")
            return
        if idp:
            self._choose_identity_provider(idp)
            return
        if pin_status in ("required", "optional"):
            pin = site.secrets.pin
            if self._pins_sent and self._pin_from_screen is None and pin is not None:
                # the site's PIN was sent and the node asked again: it is wrong
                self.end(CallEnded(api.DisconnectCause.REFUSED, "the site file's PIN was refused"))
                return
            if pin is not None and not self._pins_sent:
                self._pins_sent += 1
                self._spawn(self.conference.connect(pin))
                return
            if pin_status == "optional" and not self._pins_sent:
                self._pins_sent += 1
                self._spawn(self.conference.connect(None))
                return
            cause = "the PIN was wrong" if self._pins_sent else "the meeting asks for a PIN"
            self._listener.call_progress(api.CallState.PIN_REQUIRED, cause)
            return
        self._listener.call_progress(api.CallState.JOINING, "token granted", waiting_for="media")
        self._spawn(self.conference.connect(None))

    def _choose_identity_provider(self, offered: Any) -> None:
        """The IdP step: choose the site's provider (``chosen_idp``); the sign-in itself needs a browser.

        The protocol lets a client choose a provider by its UUID without a
        person; what follows is always a SAML/OIDC sign-in page (``onAuth``)
        whose token comes back through a browser, so a room can only choose,
        then say plainly that it cannot sign in (docs/daemon.md, "Single sign-on").
        """
        providers = [p for p in offered if isinstance(p, dict)]
        names = ", ".join(str(p.get("name", "")) for p in providers) or "none listed"
        wanted = (self.site.conference.identity_provider or "").strip().lower()
        chosen = next(
            (
                p
                for p in providers
                if wanted and wanted in (str(p.get("uuid", "")).lower(), str(p.get("name", "")).lower())
            ),
            None,
        )
        if chosen is not None and not self._idp_sent:
            self._idp_sent = True
            self._spawn(self.conference.connect(None, None, str(chosen["uuid"])))
            return
        if wanted:
            detail = (
                f"the site file's [conference] identity_provider "
                f"{self.site.conference.identity_provider!r} is not one this meeting offers ({names})"
            )
        else:
            detail = (
                f"this meeting lets people in only after they sign in with single sign-on ({names}) "
                f"in a web browser, which a room system cannot do: {_SSO_REMEDY}"
            )
        self.end(CallEnded(api.DisconnectCause.REFUSED, detail))

    def _cb_onAuth(self, _redirect_url: Any, _idp_uuid: Any, idp_name: Any, *_: Any) -> None:
        # the redirect URL is a sign-in page for a person: never followed, never logged
        self.end(
            CallEnded(
                api.DisconnectCause.REFUSED,
                f"this meeting needs a sign-in at {idp_name or 'its identity provider'} in a web browser "
                f"(single sign-on), which a room system cannot do: {_SSO_REMEDY}",
            )
        )

    def _cb_onConnect(self, stream: Any) -> None:
        media_call = self.conference.call_type.value != "none"
        if stream is None and media_call:
            self._listener.call_progress(api.CallState.JOINING, "admitted", waiting_for="media")
            return
        self._in_call = True
        self._listener.call_progress(api.CallState.IN_CALL, "media connected" if media_call else "admitted")
        self._apply_mutes()
        self._roster()
        if media_call:
            self._listener.media_up(self)

    def _apply_mutes(self) -> None:
        # the node keeps no mute across a rejoin: tell it again (client_mute, video_muted)
        with contextlib.suppress(NotConnected):
            control = self.conference.control
            if self._microphone_muted:
                self._spawn(control.client_mute())
            if self._camera_privacy:
                self._spawn(control.video_mute())

    def set_mutes(self, microphone: bool | None = None, camera: bool | None = None) -> None:
        if microphone is not None:
            self._microphone_muted = microphone
        if camera is not None:
            self._camera_privacy = camera

    def _cb_onDisconnect(self, reason: str) -> None:
        self.end(CallEnded(cause_of_disconnect(reason or ""), reason or "disconnected by the node"))

    def _cb_onError(self, message: str) -> None:
        error = self.conference.last_error
        self.end(CallEnded(cause_of_error(error, message), message, error))

    def _cb_onCallTransfer(self, alias: str) -> None:
        self.transfers += 1
        self.alias = alias
        self._in_call = False
        self._pins_sent = 0
        self._extension_sent = False
        self._idp_sent = False
        self._listener.call_progress(
            api.CallState.JOINING, f"transferred to {alias}", waiting_for="token", alias=alias
        )

    def _cb_onParticipantCreate(self, _participant: Any) -> None:
        self._roster()

    _cb_onParticipantUpdate = _cb_onParticipantCreate
    _cb_onParticipantDelete = _cb_onParticipantCreate
    _cb_onRosterList = _cb_onParticipantCreate
    _cb_onConferenceUpdate = _cb_onParticipantCreate

    def _cb_onPresentation(self, active: bool, *_: Any) -> None:
        """Someone presents: the status changes (presenter shown) and the slides are received full rate."""
        self._roster()
        if active and self._in_call:
            self._spawn(self._receive_presentation())

    async def _receive_presentation(self) -> None:
        try:
            await self.conference.get_presentation()
        except (ApplianceError, NotConnected) as exc:
            log.warning("presentation not received: %s", exc)

    def _cb_onChatMessage(self, message: dict[str, Any]) -> None:
        self._listener.room_event(
            api.ChatMessage(str(message.get("origin", "")), str(message.get("payload", "")))
        )

    _cb_onDirectMessage = _cb_onChatMessage

    def _cb_onSplashScreen(self, properties: Any = None) -> None:
        if not properties:
            self._listener.room_event(api.SplashScreen(""))
            return
        key = str(properties.get("screen_key", "")) if isinstance(properties, dict) else ""
        text = str(properties.get("text", "")) if isinstance(properties, dict) else ""
        self._listener.room_event(api.SplashScreen(key or "splash", text))

    def _cb_onFECC(self, signal: dict[str, Any]) -> None:
        self._listener.far_end_camera(signal)
        for movement in signal.get("movement") or [{}]:
            self._listener.room_event(
                api.FeccReceived(
                    str(signal.get("action", "")),
                    str(movement.get("axis", "")),
                    str(movement.get("direction", "")),
                    int(signal.get("timeout") or 0),
                )
            )

    def _roster(self) -> None:
        try:
            session = self.conference.session
        except NotConnected:
            return
        state = session.state
        me = self.conference.uuid
        people = tuple(participant(p, me) for p in state.participants.values())
        status = state.status
        presenter = state.presentation.presenter_name if state.presentation.active else ""
        layout = state.layout.view if state.layout is not None else ""
        meeting = api.Meeting(
            name=self.alias,
            alias=self.alias,
            locked=status.locked,
            guests_muted=status.guests_muted,
            presenter=presenter,
            layout=layout,
        )
        self._listener.roster_changed(people, meeting)
