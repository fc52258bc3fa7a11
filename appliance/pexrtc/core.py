"""One PexRTC call as an asyncio object: session, event stream, state and media.

:class:`Conference` is the Pythonic API under the :class:`PexRTC` facade:
snake_case, every operation a coroutine, the whole object confined to one
event loop. It reproduces the *sequence* pexrtc.js follows (reference §8,
§9), which is what ported applications depend on:

``make_call`` → ``request_token`` → (grant: ``GET conference_status``,
event stream) → local media → ``onSetup``; ``connect`` → (PIN / extension /
IdP retry: ``onSetup`` again) → ``onConnect(None)`` → media call →
``onConnect(stream)``.

It reports through one ``emit(name, *args)`` function using the document's
callback names (``"onSetup"``, ...); the facade turns that into user
callbacks, and asyncio code may pass its own function. Conference and
participant operations are not wrapped a second time: :attr:`control` is
the Infinity client's :class:`~appliance.infinity.control.ConferenceControl`.

The module is longer than the project's 500-line aim because it is the one
place that orders PexRTC's whole sequence (join, media, events, leaving and
failure, each of which must see the others' state); parts with no say in
that order live beside it (presentation, splash screens, direct media,
media).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import quote, urlsplit

from appliance.aio import cancel_and_wait
from appliance.errors import ApplianceError, InfinityError
from appliance.infinity import events as ev
from appliance.infinity.control import ConferenceControl
from appliance.infinity.errors import InvalidPin, NotHost
from appliance.infinity.models import API_PREFIX, Role
from appliance.infinity.options import ClientOptions
from appliance.infinity.session import (
    ExtensionRequired,
    IdentityProviderRequired,
    InfinitySession,
    PinRequired,
    SsoRedirectRequired,
    TokenGrant,
)
from appliance.log import get_logger
from appliance.media.call_type import CallType
from appliance.pexrtc import translate
from appliance.pexrtc.call import (
    SENDING_CALL_TYPES,
    JoinSettings,
    NotConnected,
    Phase,
    node_url,
)
from appliance.pexrtc.direct import DIRECT_EVENTS, DirectSignalling, channel_callback
from appliance.pexrtc.media import CallMedia, MediaOutputs, MediaPreferences
from appliance.pexrtc.presentation import Presentation
from appliance.pexrtc.splash import SplashScreens

Emit = Callable[..., None]

_log = get_logger(__name__)

# PexRTC waits this long after releasing the old token before it rejoins the
# transfer target, so the node has removed the old participant first.
TRANSFER_DELAY: Final = 0.5
_VIDEO_SENDING: Final = frozenset({CallType.VIDEO, CallType.RTMP, CallType.STREAM})


class Conference:
    """A PexRTC participant: join, follow, control, leave. Loop-confined."""

    def __init__(
        self,
        emit: Emit,
        *,
        verify_tls: bool = True,
        ca_file: str | None = None,
        options: ClientOptions | None = None,
        outputs: MediaOutputs | None = None,
    ) -> None:
        self._emit = emit
        self._outputs = outputs
        self._options = options or ClientOptions(verify_tls=verify_tls, ca_file=ca_file)
        self._session: InfinitySession | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._grant: TokenGrant | None = None
        self._phase = Phase.IDLE
        self._node = ""
        self._alias = ""
        self._name = ""
        self._call_type = CallType.VIDEO
        self._settings = JoinSettings()
        self._prefs = MediaPreferences()
        self._extension: str | None = None
        self._awaiting_extension = False
        self._pin_needed = False
        self._chosen_idp: str | None = None
        self._last_setup: tuple[Any, ...] | None = None
        self._media: CallMedia | None = None
        self._audio_muted = False
        self._video_muted = False
        self._presentation = Presentation(emit)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.last_error: Exception | None = None  # the typed cause of the last onError
        self._tidy_ups: set[asyncio.Task[None]] = set()
        self._splash_screens: SplashScreens | None = None
        self._direct = DirectSignalling(lambda: self._media, lambda message: self._spawn(self._fail(message)))

    # -- fields the document lets applications read after onSetup --------

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def uuid(self) -> str | None:
        return self._grant.participant_uuid if self._grant else None

    @property
    def role(self) -> str | None:
        if self._session is not None and self._session.role is not None:
            return Role(self._session.role).value
        return self._grant.role.value if self._grant else None

    @property
    def version(self) -> str | None:
        if self._grant is None:
            return None
        return f"{self._grant.version_id} ({self._grant.pseudo_version})"

    @property
    def chat_enabled(self) -> bool | None:
        return self._grant.chat_enabled if self._grant else None

    @property
    def service_type(self) -> str | None:
        return self._grant.service_type if self._grant else None

    @property
    def current_service_type(self) -> str | None:
        if self._session is not None:
            me = self._session.state.me
            if me is not None:
                return me.service_type
        return self._grant.current_service_type if self._grant else None

    @property
    def call_type(self) -> CallType:
        return self._call_type

    @property
    def session(self) -> InfinitySession:
        if self._session is None or self._grant is None:
            raise NotConnected("not in a conference: call make_call() (makeCall) and connect() first")
        return self._session

    @property
    def control(self) -> ConferenceControl:
        """Every conference and participant operation (Host-only ones raise ``NotHost`` as Guest)."""
        return self.session.control

    @property
    def media(self) -> CallMedia:
        if self._media is None or not self._media.active:
            raise NotConnected("no media call: join with a media call_type or use add_call()")
        return self._media

    @property
    def has_media(self) -> bool:
        """A media call is up (devices opened for onSetup alone do not count)."""
        return self._media is not None and self._media.active

    def mute_audio(self, muted: bool) -> bool:
        """Mute the outgoing audio now and in any media started later."""
        self._audio_muted = muted
        if self._media is not None:
            self._media.mute_audio(muted)
        return muted

    def mute_video(self, muted: bool) -> bool:
        self._video_muted = muted
        if self._media is not None:
            self._media.mute_video(muted)
        return muted

    def require_host(self, operation: str) -> None:
        """Fail locally, before any request, when a Host-only operation is tried as Guest."""
        self.session  # noqa: B018 - NotConnected, not NotHost, before a token
        if self.role != Role.HOST.value:
            raise NotHost(operation, "this needs Host rights and this participant is a Guest")

    # -- joining ----------------------------------------------------------

    async def make_call(
        self,
        node: str,
        conference: str,
        name: str,
        *,
        call_type: str | None = None,
        settings: JoinSettings | None = None,
        prefs: MediaPreferences | None = None,
        one_time_token: str | None = None,
        registration_token: str | None = None,
    ) -> None:
        """Request a token and report the outcome with ``onSetup`` / ``onAuth`` / ``onError``.

        ``one_time_token`` joins without a PIN (a transfer's ``refer``, or the
        ``incoming`` offer of a registration, which also sends the device's
        ``registration_token``: docs/being-called.md).
        """
        await self._drop_session(reason=None)
        self._node = node_url(node)
        self._alias = conference
        self._name = name
        self._call_type = CallType.parse(call_type)
        self._settings = settings or JoinSettings()
        self._prefs = prefs or MediaPreferences()
        self._extension = None
        self._awaiting_extension = False
        self._pin_needed = False
        self._chosen_idp = None
        self._last_setup = None
        self._splash_screens = None
        self._phase = Phase.IDLE
        session = InfinitySession(self._node, conference, options=self._options)
        self._session = session
        self._unsubscribe = session.subscribe(self._on_event)
        await self._request_token(
            one_time_token=one_time_token, registration_token=registration_token, announce=True
        )

    async def connect(
        self,
        pin: str | None = None,
        extension: str | None = None,
        idp: str | None = None,
        *,
        sso_token: str | None = None,
    ) -> None:
        """Continue after ``onSetup``/``onAuth``: PIN, reception extension, IdP choice, SSO token."""
        if self._session is None:
            raise NotConnected("connect() before makeCall(): there is no conference to connect to")
        if self._grant is not None and not self._awaiting_extension:
            await self._connected()
            return
        if extension:
            # Two-stage dial: a valid extension triggers another onSetup
            # (the target room's PIN status), and the application calls
            # connect() once more.
            self._extension = extension
            await self._request_token(pin=pin, chosen_idp=idp, announce=True)
            return
        if self._pin_needed and pin is None:
            pin = ""  # sent as the literal "none": an empty PIN, as pexrtc.js
        self._chosen_idp = idp or self._chosen_idp
        if await self._request_token(pin=pin, chosen_idp=self._chosen_idp, sso_token=sso_token):
            await self._connected()

    async def _request_token(
        self,
        *,
        pin: str | None = None,
        chosen_idp: str | None = None,
        sso_token: str | None = None,
        one_time_token: str | None = None,
        registration_token: str | None = None,
        announce: bool = False,
    ) -> bool:
        """One ``request_token``; True when a token was granted.

        A grant is announced with onSetup after makeCall and after an
        extension (the document's sequence); a grant won by connect(pin)
        goes straight on to onConnect.
        """
        session = self._session
        assert session is not None
        try:
            outcome = await session.request_token(
                self._name,
                pin=pin,
                conference_extension=self._extension,
                chosen_idp=chosen_idp,
                sso_token=sso_token,
                one_time_token=one_time_token,
                registration_token=registration_token,
                call_tag=self._settings.call_tag,
                client_id=self._settings.client_id or "PexRTC",
                node=urlsplit(self._node).netloc.rpartition("@")[2],  # host:port, as pexrtc.js
                direct_media=True,  # as PexRTC: the node decides whether the room is direct
            )
        except InvalidPin as invalid:
            _log.info("PIN rejected by the node; asking again through onSetup")
            if self._last_setup is not None:
                self._emit("onSetup", *self._last_setup)
            else:
                await self._fail("Call Failed: Invalid PIN", invalid)
            return False
        except InfinityError as exc:
            await self._fail(f"Call Failed: {exc}", exc)
            return False
        if isinstance(outcome, TokenGrant):
            self._grant = outcome
            self._awaiting_extension = False
            await self._start_events()
            if self._session is not session:  # failed while starting
                return False
            if announce:
                await self._setup("none", None, None)
            return True
        if isinstance(outcome, PinRequired):
            self._pin_needed = True
            await self._setup(outcome.pin_status.value, None, None)
        elif isinstance(outcome, ExtensionRequired):
            self._awaiting_extension = True
            await self._setup("none", outcome.kind, None)
        elif isinstance(outcome, IdentityProviderRequired):
            providers = [{"uuid": p.uuid, "name": p.name, "img": p.img} for p in outcome.providers]
            await self._setup("none", None, providers)
        elif isinstance(outcome, SsoRedirectRequired):
            self._phase = Phase.SETUP
            idp_uuid = outcome.idp.uuid if outcome.idp else chosen_idp
            idp_name = outcome.idp.name if outcome.idp else None
            self._emit("onAuth", outcome.redirect_url, idp_uuid, idp_name, outcome.disable_popup_flow)
        return False

    async def _start_events(self) -> None:
        # The session reads GET conference_status first (onConferenceUpdate, as
        # pexrtc.js before its event stream), then waits for the roster sync.
        session = self.session
        try:
            await session.start_events()
        except InfinityError as exc:
            await self._fail(f"Call Failed: {exc}", exc)

    async def _setup(self, pin_status: str, extension: str | None, idp_selection: Any) -> None:
        # With a token the call's devices can be opened now, so onSetup carries
        # the local stream (a self view); a challenge gets onSetup without one.
        stream = None
        if self._grant is not None and self._call_type in SENDING_CALL_TYPES:
            try:
                stream = await self._ensure_media().open_devices()
            except (ApplianceError, ValueError) as exc:
                await self._fail(f"Could not access camera or microphone: {exc}", exc)
                return
        self._last_setup = (stream, pin_status, extension, idp_selection)
        self._phase = Phase.SETUP
        self._emit("onSetup", *self._last_setup)

    async def _connected(self) -> None:
        self._phase = Phase.CONNECTED
        self._emit("onConnect", None)
        if self._call_type is not CallType.NONE:
            await self.add_call(self._call_type.value)

    # -- media --------------------------------------------------------------

    def _ensure_media(self) -> CallMedia:
        if self._media is None:
            grant = self._grant
            assert grant is not None
            self._media = CallMedia(
                self.session.calls,
                self._prefs,
                node_stun=grant.stun,
                node_turn=grant.turn,
                fecc_supported=self._settings.fecc_supported,
                outputs=self._outputs,
                on_failure=lambda message: self._spawn(self._fail(message)),
                channel_id=grant.pex_datachannel_id if grant.direct_media else None,
                on_channel=self._channel_message,
            )
            self._media.mute_audio(self._audio_muted)
            self._media.mute_video(self._video_muted)
        return self._media

    async def add_call(self, call_type: str | None = None) -> None:
        """Start (or escalate to) a media call; ``onConnect(stream)`` when it is up."""
        kind = CallType.parse(call_type)
        if kind is CallType.NONE:
            return
        self.session  # noqa: B018 - raises NotConnected before a token
        self._call_type = kind
        media = self._ensure_media()
        try:
            stream = await media.start(kind.value)
        except (InfinityError, ApplianceError, ValueError) as exc:
            await self._fail(f"Call Failed: {exc}", exc)
            return
        if kind in SENDING_CALL_TYPES:
            self._spawn(self._tell_mute_state(sends_video=kind in _VIDEO_SENDING))
        self._emit("onConnect", stream)
        if kind is CallType.SCREEN:
            await self.present("screen")

    async def _tell_mute_state(self, *, sends_video: bool) -> None:
        """Tell the node our mute state once the call is up, as pexrtc.js does.

        A mute set before the call (a room muted before joining, or with no
        camera) changed only what we send; without this the node, and so
        everyone's roster, would show us unmuted. pexrtc.js sends
        ``video_muted``/``video_unmuted`` when its call connects and
        ``client_mute`` for a microphone muted before.
        """
        try:
            control = self.control
            if sends_video:
                await (control.video_mute() if self._video_muted else control.video_unmute())
            if self._audio_muted:
                await control.client_mute()
        except (InfinityError, NotConnected) as exc:
            _log.warning("mute state not told to the node: %s", exc)

    async def disconnect_call(self) -> None:
        """Drop the media call and keep the roster-only participant (``disconnectcall``)."""
        media, self._media = self._media, None
        if media is not None:
            await self._close_media(media, "Call disconnected")

    async def _close_media(self, media: CallMedia, reason: str) -> None:
        """Hang up; a presentation being received ends with it ("on errors and call disconnect")."""
        self._presentation.call_ended(media, reason)
        await media.close()

    async def get_presentation(self) -> None:
        """Full-frame-rate presentation: the slides m-line of the call (a presentation call if none)."""
        if not self.has_media:
            await self.add_call(CallType.PRESENTATION.value)
        if self.has_media:
            await self._presentation.receive(self.media)

    async def present(self, call_type: str | None) -> None:
        """``present("screen")`` takes the floor and shares; ``present(None)`` stops sharing."""
        if call_type is not None and not self.has_media:
            await self.add_call(CallType.VIDEO.value)
        await self._presentation.share(self._media, call_type)

    def media_statistics(self) -> dict[str, Any]:
        """The document's nested statistics; ``{}`` without a media call, as pexrtc.js."""
        return self._media.statistics() if self.has_media and self._media is not None else {}

    def secure_check_code(self) -> str:
        """§4.4 check code of the media call; ``"INVALID"`` without one."""
        return self._media.secure_check_code() if self._media is not None else "INVALID"

    async def renegotiate(self, resend_sdp: bool, prefs: MediaPreferences) -> None:
        """Re-read the changeable instance variables; ``resend_sdp`` forces a new offer."""
        self._prefs = prefs
        await self.media.renegotiate(prefs, resend_sdp=resend_sdp)

    # -- leaving ------------------------------------------------------------

    async def disconnect(self, reason: str | None = None) -> None:
        """Leave: release the floor, drop media, close the stream, release the token."""
        await self._drop_session(reason=reason)
        self._phase = Phase.CLOSED

    async def _drop_session(self, *, reason: str | None, media_reason: str = "Call disconnected") -> None:
        media, session = self._detach()
        if media is not None:
            self._presentation.call_ended(media, media_reason)
        await self._release(media, session, reason=reason)

    def _detach(self) -> tuple[CallMedia | None, InfinitySession | None]:
        """Forget the media and session at once; releasing them at the node comes after."""
        self._direct.clear()
        media, self._media = self._media, None
        session, self._session = self._session, None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._grant = None
        return media, session

    async def _release(
        self,
        media: CallMedia | None,
        session: InfinitySession | None,
        *,
        reason: str | None,
    ) -> None:
        if media is not None:
            await media.close()
        if session is not None:
            try:
                if reason is not None and session.joined:
                    await session.release_token(reason=reason)
                await session.close()
            except InfinityError as exc:
                _log.warning("leaving the conference: %s", exc)

    async def _fail(self, message: str, error: Exception | None = None) -> None:
        """onError is fatal and reported at once; the tidy-up follows, bounded.

        As pexrtc.js: the call is over for the application the moment it
        fails, so ``onError`` must not wait for hang-ups to a node that may
        be gone. The media and session are forgotten first (no callback
        after onError can touch them), then hung up and released with every
        request tried once within ``leave_timeout`` (docs/pexrtc.md).

        ``last_error`` keeps the typed cause (``None`` when only a message
        exists, e.g. media failure): the room daemon tells a refused token
        from a lost network by it (docs/daemon.md), where onError has text only.
        """
        _log.error("call failed: %s", message)
        self.last_error = error
        media, session = self._detach()
        if session is not None:
            session.leave_quickly()
        if media is not None:
            self._presentation.call_ended(media, message)  # onPresentationDisconnected before onError
        self._phase = Phase.CLOSED
        self._emit("onError", message)
        tidy_up = asyncio.get_running_loop().create_task(
            self._release(media, session, reason=None), name="pexrtc-tidy-up"
        )
        self._tidy_ups.add(tidy_up)
        tidy_up.add_done_callback(self._tidy_ups.discard)

    async def tidied_up(self) -> None:
        """Until the hang-up and release after a failure have finished (bounded by ``leave_timeout``)."""
        if self._tidy_ups:
            await asyncio.gather(*self._tidy_ups, return_exceptions=True)

    async def close(self) -> None:
        """Stop background work and leave (no reason given to the node)."""
        await cancel_and_wait(list(self._tasks))
        await self.tidied_up()  # devices are released there: wait, do not cancel
        await self._direct.close()
        await self._presentation.close()
        await self._drop_session(reason=None)
        self._phase = Phase.CLOSED

    # -- events -------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _base(self) -> str:
        return f"{self._node}{API_PREFIX}/conferences/{quote(self._alias, safe='')}"

    def presentation_url(self, frame_id: str | None) -> str:
        """JPEG URL of a presentation frame, as onPresentationReload gives it."""
        session = self.session
        name = "presentation.jpeg" if self._prefs.bandwidth_in <= 384 else "presentation_high.jpeg"
        return f"{self._base()}/{name}?id={frame_id or ''}&token={session.token}"

    def _on_event(self, event: ev.Event) -> None:
        emit = self._emit
        simple = translate.stateless(event)
        if simple is not None:
            emit(simple[0], *simple[1])
        elif isinstance(event, ev.PresentationStart):
            self._presentation.started(self._media, event, self.uuid)
        elif isinstance(event, ev.PresentationStop):
            self._presentation.stopped(self._media)
        elif isinstance(event, ev.PresentationFrame):
            emit("onPresentationReload", self.presentation_url(event.frame_id))
        elif isinstance(event, ev.FeccSignal):
            if self._settings.fecc_supported:
                emit("onFECC", translate.fecc_signal(event))
        elif isinstance(event, DIRECT_EVENTS):
            self._direct.push(event)
        elif isinstance(event, ev.SplashScreen):
            self._spawn(self._splash(event))
        elif isinstance(event, ev.Disconnect):
            self._spawn(self._server_disconnect(event.reason))
        elif isinstance(event, ev.Refer):
            emit("onCallTransfer", event.alias)
            self._spawn(self._follow_transfer(event.alias, event.token))
        elif isinstance(event, ev.CallDisconnected):
            if self._media is not None and self._media.call_uuid == event.call_uuid:
                self._spawn(self.disconnect_call())
        elif isinstance(event, ev.SessionFailed):
            self._spawn(self._fail(str(event.error), event.error))

    def _channel_message(self, kind: str, body: dict[str, Any]) -> None:
        delivered = channel_callback(
            kind, body, chat_enabled=bool(self.chat_enabled), fecc_supported=self._settings.fecc_supported
        )
        if delivered is not None:
            self._emit(delivered[0], *delivered[1])

    async def send_message(self, payload: str, mime_type: str, uuid: str | None = None) -> Any:
        """Chat or application message: over the data channel in a direct call, else ``message``."""
        channel = self._media.data_channel if self._media is not None else None
        if channel is not None and uuid is None:
            channel.send_message(self._name, mime_type, payload, self.uuid or "")
            return True
        return await self.control.send_message(payload, mime_type=mime_type, uuid=uuid)

    async def _splash(self, event: ev.SplashScreen) -> None:
        if event.screen_key is None:
            self._emit("onSplashScreen")
            return
        splash = self._splash_screens
        if splash is None:
            session = self.session
            splash = self._splash_screens = SplashScreens(
                session.control.theme, lambda path: f"{self._base()}/theme/{path}?token={session.token}"
            )
        self._emit("onSplashScreen", await splash.properties(event))

    async def _server_disconnect(self, reason: str) -> None:
        await self._drop_session(reason=None, media_reason=reason)
        self._phase = Phase.CLOSED
        self._emit("onDisconnect", reason)

    async def _follow_transfer(self, alias: str, token: str) -> None:
        """As pexrtc.js: drop media, release "Call transferred", rejoin ``alias`` with the token."""
        node, name, call_type = self._node, self._name, self._call_type
        settings, prefs = self._settings, self._prefs
        await self._drop_session(reason="Call transferred", media_reason="Call transferred")
        await asyncio.sleep(TRANSFER_DELAY)
        await self.make_call(
            node,
            alias,
            name,
            call_type=call_type.value,
            settings=settings,
            prefs=prefs,
            one_time_token=token,
        )
