"""``PexRTC``: the founding document's API, name for name, for ported applications.

Everything here is the document's surface (the only camelCase in the
project); the work is done by :class:`appliance.pexrtc.core.Conference`.
Two ways to run, chosen when the object is built:

* **Synchronous scripts** (no running asyncio loop, no ``loop=``): the
  object owns an event loop in a background thread (:mod:`.sync`); methods
  submit to it and return at once, as in JavaScript, except those the
  document says "will return when signaling is complete" (``disconnect``,
  ``disconnectcall``, ``renegotiate``) and ``dialOut`` /
  ``getClassificationLevel`` without ``cb``, which block and return the
  result. Callbacks run on ONE dedicated thread, ``pexrtc-callbacks``.
* **asyncio programs** (built inside a running loop, or given ``loop=``):
  methods schedule onto that loop and return an ``asyncio.Future`` that
  may be awaited or ignored; callbacks run on the loop, coroutine
  callbacks awaited.

Mistakes detectable locally raise at once from the method in both modes:
``NotHost`` for a Host-only method called as Guest, ``NotConnected`` before
a session exists, ``ValueError`` for values outside the document's lists.
Failures the node reports for fire-and-forget methods are logged, as
pexrtc.js does; ``onError`` is reserved for fatal ones.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine, Mapping
from types import MappingProxyType
from typing import Any, Final

from appliance.log import get_logger
from appliance.media.call_type import CallType
from appliance.pexrtc import params as check
from appliance.pexrtc.call import JoinSettings, NotConnected
from appliance.pexrtc.callbacks import Handler
from appliance.pexrtc.core import Conference
from appliance.pexrtc.media import MediaOutputs, MediaPreferences
from appliance.pexrtc.runner import Runner
from appliance.pexrtc.variables import CHANGEABLE_IN_CALL, INSTANCE_VARIABLES, VARIABLES

_log = get_logger(__name__)

# What each callback is emitted with, in order: the document's parameter
# list, then the extras pexrtc.js passes that the document describes in
# prose (v32's overlay_text_enabled, the SSO flow's disable_popup_flow).
# Every emission goes through :func:`callback_arguments`, which refuses a
# callback or an argument list outside this table, and the conformance test
# compares the table with the document: together they cover what handlers
# really receive.
CALLBACK_ARGUMENTS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType({
    "onSetup": ("stream", "pin_status", "conference_extension", "idp_selection"),
    "onAuth": ("redirect_url", "idp_uuid", "idp_name", "disable_popup_flow"),
    "onConnect": ("stream",),
    "onError": ("err",),
    "onDisconnect": ("reason",),
    "onConferenceUpdate": ("properties",),
    "onLayoutUpdate": ("view", "participants", "requested_layout", "overlay_text_enabled"),
    "onPresentation": ("setting", "presenter", "uuid", "presenter_source"),
    "onPresentationReload": ("url",),
    "onRosterList": ("roster",),
    "onParticipantCreate": ("participant",),
    "onParticipantUpdate": ("participant",),
    "onParticipantDelete": ("participant",),
    "onChatMessage": ("message",),
    "onDirectMessage": ("message",),
    "onApplicationMessage": ("message",),
    "onStageUpdate": ("stage",),
    "onPresentationConnected": ("stream",),
    "onPresentationDisconnected": ("reason",),
    "onScreenshareConnected": ("stream",),
    "onScreenshareStopped": ("reason",),
    "onCallTransfer": ("alias",),
    "onFECC": ("signal",),
    "onSplashScreen": ("properties",),  # emitted with none to clear the screen
})  # fmt: skip

CALLBACKS: Final = tuple(CALLBACK_ARGUMENTS)


def callback_arguments(name: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Check one emission against :data:`CALLBACK_ARGUMENTS`; a mismatch is a bug and raises."""
    declared = CALLBACK_ARGUMENTS.get(name)
    if declared is None:
        raise ValueError(f"PexRTC has no callback {name!r}")
    if len(args) > len(declared):
        raise TypeError(f"PexRTC {name} emitted with {len(args)} arguments; it takes {declared}")
    return args


class PexRTC:
    """A PexRTC client. Assign callbacks, set instance variables, call ``makeCall``."""

    onSetup: Handler | None
    onAuth: Handler | None
    onConnect: Handler | None
    onError: Handler | None
    onDisconnect: Handler | None
    onConferenceUpdate: Handler | None
    onLayoutUpdate: Handler | None
    onPresentation: Handler | None
    onPresentationReload: Handler | None
    onRosterList: Handler | None
    onParticipantCreate: Handler | None
    onParticipantUpdate: Handler | None
    onParticipantDelete: Handler | None
    onChatMessage: Handler | None
    onDirectMessage: Handler | None
    onApplicationMessage: Handler | None
    onStageUpdate: Handler | None
    onPresentationConnected: Handler | None
    onPresentationDisconnected: Handler | None
    onScreenshareConnected: Handler | None
    onScreenshareStopped: Handler | None
    onCallTransfer: Handler | None
    onFECC: Handler | None
    onSplashScreen: Handler | None

    # Instance variables (types only; names, defaults and what each feeds are
    # appliance.pexrtc.variables.VARIABLES, and a test holds these to it).
    audio_source: Any
    video_source: Any
    autoGainControl: bool
    recv_audio: bool
    recv_video: bool
    bandwidth_in: int
    bandwidth_out: int
    call_tag: str | None
    default_stun: str | None
    echoCancellation: bool
    fecc_supported: bool
    h264_enabled: bool
    noiseSuppression: bool
    screenshare_fps: int
    turn_server: dict[str, Any] | None
    user_media_stream: Any
    user_presentation_stream: Any
    vp8_enabled: bool
    vp9_enabled: bool

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop | None = None,
        *,
        verify_tls: bool = True,
        ca_file: str | None = None,
        outputs: MediaOutputs | None = None,
    ) -> None:
        for name in CALLBACKS:
            setattr(self, name, None)
        # Instance variables, with the document's defaults (appliance.pexrtc.variables).
        for variable in VARIABLES:
            setattr(self, variable.name, variable.default)
        # Field that is also an input: sent as request_token's client_id.
        self.client_id: str | None = "PexRTC"

        self._run = Runner(self, loop)
        self._core = Conference(self._emit, verify_tls=verify_tls, ca_file=ca_file, outputs=outputs)

    def __setattr__(self, name: str, value: Any) -> None:
        # A ported page may set, say, echoCancellation mid-call and expect it
        # to apply; it cannot (the value was read at makeCall), so say so.
        if name in INSTANCE_VARIABLES and name not in CHANGEABLE_IN_CALL and self._in_call():
            _log.warning(
                "PexRTC %s is not changeable in a call: the new value applies from the next makeCall", name
            )
        object.__setattr__(self, name, value)

    def _in_call(self) -> bool:
        core = self.__dict__.get("_core")
        return core is not None and core.uuid is not None

    def _emit(self, name: str, *args: Any) -> None:
        """The core's report function, held to :data:`CALLBACK_ARGUMENTS`."""
        self._run.emit(name, *callback_arguments(name, args))

    # -- fields (readable after onSetup) ---------------------------------------

    @property
    def uuid(self) -> str | None:
        return self._core.uuid

    @property
    def role(self) -> str | None:
        return self._core.role

    @property
    def version(self) -> str | None:
        return self._core.version

    @property
    def chat_enabled(self) -> bool | None:
        return self._core.chat_enabled

    @property
    def service_type(self) -> str | None:
        return self._core.service_type

    @property
    def current_service_type(self) -> str | None:
        return self._core.current_service_type

    # -- Python additions -------------------------------------------------------

    @property
    def conference(self) -> Conference:
        """The asyncio object underneath, for code that outgrows the facade."""
        return self._core

    @property
    def is_async(self) -> bool:
        return self._run.is_async

    def close(self) -> Any:
        """Leave if still joined and stop the background threads (sync mode); a task in asyncio mode."""
        return self._run.finish(self._core.close(), "close")

    def connect_sso(self, sso_token: str) -> Any:
        """Finish SSO after ``onAuth``: join with the token the identity provider returned.

        pexrtc.js receives that token from its own popup; a Python program
        fetches ``redirect_url`` itself and hands the token over here.
        """
        return self._run.schedule(self._core.connect(sso_token=sso_token), "connect_sso")

    def __enter__(self) -> PexRTC:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------

    def _preferences(self) -> MediaPreferences:
        return MediaPreferences.of(self)

    def _control(self, what: str, operation: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
        """Run ``operation(control)``; ``NotConnected`` at once when not joined."""
        control = self._core.control

        async def run() -> Any:
            return await operation(control)

        return self._run.schedule(run(), what)

    def _host(self, what: str, operation: Callable[[Any], Coroutine[Any, Any, Any]]) -> Any:
        self._core.require_host(what)
        return self._control(what, operation)

    def _self_or_host(
        self, what: str, uuid: str | None, operation: Callable[[Any], Coroutine[Any, Any, Any]]
    ) -> Any:
        if uuid is not None and uuid != self._core.uuid:
            self._core.require_host(what)
        return self._control(what, operation)

    # -- client control functions ---------------------------------------------

    def makeCall(
        self,
        node: str,
        conference: str,
        name: str,
        bandwidth: int | None = None,
        call_type: str | None = None,
    ) -> Any:
        _check_call_type(call_type)
        if bandwidth:
            self.bandwidth_in = self.bandwidth_out = int(bandwidth)
        settings = JoinSettings(
            call_tag=self.call_tag,
            client_id=self.client_id,
            bandwidth_in=int(self.bandwidth_in),
            bandwidth_out=int(self.bandwidth_out),
            fecc_supported=bool(self.fecc_supported),
        )
        coro = self._core.make_call(
            node, conference, name, call_type=call_type, settings=settings, prefs=self._preferences()
        )
        return self._run.schedule(coro, "makeCall")

    def connect(self, pin: str | None = None, extension: str | None = None, idp: str | None = None) -> Any:
        return self._run.schedule(self._core.connect(pin, extension, idp), "connect")

    def muteAudio(self, setting: bool) -> bool:
        muted = self._run.now(lambda: self._core.mute_audio(bool(setting)))
        if self._core.uuid is not None:
            if muted:
                self._control("muteAudio", lambda c: c.client_mute())
            else:
                self._control("muteAudio", lambda c: c.client_unmute())
        return muted

    def muteVideo(self, setting: bool) -> bool:
        muted = self._run.now(lambda: self._core.mute_video(bool(setting)))
        if self._core.uuid is not None:
            if muted:
                self._control("muteVideo", lambda c: c.video_mute())
            else:
                self._control("muteVideo", lambda c: c.video_unmute())
        return muted

    def sendChatMessage(self, message: str, uuid: str | None = None) -> Any:
        self._core.control  # noqa: B018 - NotConnected at once when not joined
        coro = self._core.send_message(message, "text/plain", uuid)  # data channel in direct media
        return self._run.schedule(coro, "sendChatMessage")

    def sendApplicationMessage(self, obj: Any, uuid: str | None = None) -> Any:
        self._core.control  # noqa: B018 - NotConnected at once when not joined
        coro = self._core.send_message(json.dumps(obj), "application/json", uuid)
        return self._run.schedule(coro, "sendApplicationMessage")

    def disconnect(self) -> Any:
        return self._run.finish(self._core.disconnect(reason="User initiated disconnect"), "disconnect")

    def disconnectcall(self) -> Any:
        return self._run.blocking(self._core.disconnect_call(), "disconnectcall")

    def addCall(self, call_type: str | None = None) -> Any:
        _check_call_type(call_type)
        return self._run.schedule(self._core.add_call(call_type), "addCall")

    def renegotiate(self, resend_sdp: bool = False) -> Any:
        return self._run.blocking(
            self._core.renegotiate(bool(resend_sdp), self._preferences()), "renegotiate"
        )

    def getPresentation(self) -> Any:
        return self._run.schedule(self._core.get_presentation(), "getPresentation")

    def present(self, call_type: str | None = None) -> Any:
        if call_type not in (None, "screen"):
            raise ValueError(f"call_type: expected 'screen' or None, found {call_type!r}")
        return self._run.schedule(self._core.present(call_type), "present")

    def getMediaStatistics(self) -> dict[str, Any]:
        return self._core.media_statistics()

    def getSecureCheckCode(self) -> str:
        return self._core.secure_check_code()

    def requestAspectRatio(self, aspect_ratio: float) -> Any:
        if not 0 <= float(aspect_ratio) <= 2:
            raise ValueError(f"aspect_ratio: expected a number between 0 and 2, found {aspect_ratio!r}")
        return self._control("requestAspectRatio", lambda c: c.preferred_aspect_ratio(float(aspect_ratio)))

    # -- conference control functions -----------------------------------------

    def dialOut(
        self,
        destination: str,
        protocol: str,
        role: str = "HOST",
        cb: Handler | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        arguments = check.dial(protocol, role, params)
        self._core.require_host("dialOut")
        control = self._core.control

        async def dial() -> dict[str, Any]:
            return {"result": list(await control.dial(destination, **arguments))}

        return self._run.reply("dialOut", cb, dial())

    def setConferenceLock(self, setting: bool) -> Any:
        return self._host("setConferenceLock", lambda c: c.set_lock(bool(setting)))

    def setMuteAllGuests(self, setting: bool) -> Any:
        return self._host("setMuteAllGuests", lambda c: c.set_mute_all_guests(bool(setting)))

    def setParticipantMute(self, uuid: str, setting: bool) -> Any:
        return self._self_or_host(
            "setParticipantMute", uuid, lambda c: c.set_participant_mute(uuid, bool(setting))
        )

    def videoMuted(self, uuid: str | None = None) -> Any:
        return self._self_or_host("videoMuted", uuid, lambda c: c.video_mute(uuid))

    def videoUnmuted(self, uuid: str | None = None) -> Any:
        return self._self_or_host("videoUnmuted", uuid, lambda c: c.video_unmute(uuid))

    def setParticipantRxPresentation(self, uuid: str, setting: bool) -> Any:
        return self._host(
            "setParticipantRxPresentation", lambda c: c.set_rx_presentation(uuid, bool(setting))
        )

    def setParticipantSpotlight(self, uuid: str, setting: bool) -> Any:
        return self._host("setParticipantSpotlight", lambda c: c.set_spotlight(uuid, bool(setting)))

    def setParticipantText(self, uuid: str, text: str) -> Any:
        return self._host("setParticipantText", lambda c: c.set_overlay_text(uuid, str(text)))

    def setPresentationInMix(self, state: bool, uuid: str | None = None) -> Any:
        return self._self_or_host(
            "setPresentationInMix", uuid, lambda c: c.set_presentation_in_mix(bool(state), uuid)
        )

    def setRole(self, uuid: str, setting: str) -> Any:
        role = check.participant_role(setting)
        return self._host("setRole", lambda c: c.set_role(uuid, role))

    def unlockParticipant(self, uuid: str) -> Any:
        return self._host("unlockParticipant", lambda c: c.unlock_participant(uuid))

    def sendDTMF(self, digits: str, uuid: str | None = None) -> Any:
        if uuid is not None:
            return self._control("sendDTMF", lambda c: c.send_dtmf(digits, uuid))
        return self._run.schedule(self._core.media.send_dtmf(digits), "sendDTMF")

    def sendFECC(
        self,
        action: str,
        axis: str,
        direction: str,
        target: str | None = None,
        timeout: int | None = None,
    ) -> Any:
        check.fecc(action, axis, direction)
        timeout_ms = int(timeout) if timeout is not None else 1000
        if target is not None:
            return self._control(
                "sendFECC", lambda c: c.send_fecc(action, axis, direction, target, timeout_ms=timeout_ms)
            )
        return self._run.schedule(self._core.media.send_fecc(action, axis, direction, timeout_ms), "sendFECC")

    def setBuzz(self) -> Any:
        return self._control("setBuzz", lambda c: c.buzz())

    def clearBuzz(self, uuid: str | None = None) -> Any:
        return self._self_or_host("clearBuzz", uuid, lambda c: c.clear_buzz(uuid))

    def clearAllBuzz(self) -> Any:
        return self._host("clearAllBuzz", lambda c: c.clear_all_buzz())

    def transformLayout(self, transforms: Mapping[str, Any]) -> Any:
        checked = check.transforms(transforms)
        return self._host("transformLayout", lambda c: c.transform_layout(checked))

    def transferParticipant(
        self, uuid: str, destination: str, role: str = "chair", pin: str | None = None
    ) -> Any:
        checked_role = check.transfer_role(role)
        return self._host(
            "transferParticipant", lambda c: c.transfer(uuid, destination, role=checked_role, pin=pin)
        )

    def startConference(self) -> Any:
        return self._host("startConference", lambda c: c.start_conference())

    def setClassificationLevel(self, level: int) -> Any:
        return self._host("setClassificationLevel", lambda c: c.set_classification_level(int(level)))

    def getClassificationLevel(self, cb: Handler | None = None) -> Any:
        control = self._core.control

        async def get() -> dict[str, Any]:
            classification = await control.get_classification_level()
            return {"current": classification.current, "levels": dict(classification.levels)}

        return self._run.reply("getClassificationLevel", cb, get())

    def disconnectParticipant(self, uuid: str) -> Any:
        return self._host("disconnectParticipant", lambda c: c.disconnect_participant(uuid))

    def disconnectAll(self) -> Any:
        return self._host("disconnectAll", lambda c: c.disconnect_all())


def _check_call_type(call_type: str | None) -> None:
    """Refuse an unknown call type at the call (ValueError), not later through onError."""
    CallType.parse(call_type)


__all__ = [
    "CALLBACKS",
    "CALLBACK_ARGUMENTS",
    "CHANGEABLE_IN_CALL",
    "INSTANCE_VARIABLES",
    "NotConnected",
    "PexRTC",
    "callback_arguments",
]
