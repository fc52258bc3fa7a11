"""The room controller: the one object that is the room (docs/room-api.md, docs/daemon.md).

It implements :class:`~appliance.services.room_api.Room` over the PexRTC
core. It owns the call state machine — standby, joining, the PIN /
extension step answered from the site file, in call, leaving, waiting to
rejoin — and the recovery ladder above the client's own reconnects: media
liveness (:mod:`appliance.services.liveness`), then a fresh join with a
fresh client when a call is lost, paced and limited by the rejoin policy
(:mod:`appliance.services.rejoin`). Buttons, the kiosk and later the API
reach the call only through :meth:`submit`, and learn what happened only
from :attr:`state` and :meth:`subscribe`.

Every state change is one :class:`~appliance.services.room_api.StateChanged`
event and one structured log line ``{"event": "room.state", "old", "new",
"cause"}``; the journal is the room's history.

It runs past the project's 500-line aim on purpose: the call state machine
and the recovery ladder both move the one current call and the one room
state, and their transitions (join, leave, rejoin, a person's Join while the
loop waits) stay consistent only when read in one place; what has no say in
those transitions lives beside it (``rejoin``, ``liveness``, ``in_call``,
``calls_in``, ``room_hardware``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

from appliance import __version__
from appliance.config.profile import HwProfile
from appliance.config.site import SiteConfig
from appliance.errors import ApplianceError
from appliance.hw.cec import open_display
from appliance.hw.gpio import GpioError
from appliance.hw.udev import MonitorLike
from appliance.log import get_logger
from appliance.pexrtc.call import NotConnected
from appliance.pexrtc.media import MediaOutputs, MediaPreferences
from appliance.services import room_api as api
from appliance.services.call import CallEnded, RoomCall
from appliance.services.calls_in import IncomingCalls, Invitation
from appliance.services.causes import error_kind
from appliance.services.clock import SYSTEM_CLOCK, Clock
from appliance.services.devices import capture_device, check_devices, install_profile_codecs, playback_output
from appliance.services.fanout import EventFanout
from appliance.services.in_call import LayoutCycle, apply_mutes, meeting_command
from appliance.services.liveness import WATCHED_CALL_TYPES, LivenessSettings, watch_media
from appliance.services.pictures import SlotPictures
from appliance.services.rejoin import Action, RejoinPolicy
from appliance.services.room_array import RoomArray
from appliance.services.room_hardware import RoomHardware
from appliance.services.standby import RoomRest
from appliance.services.tracking import TRACKING_SOURCE

log = get_logger(__name__)

# devices the call captures from: when one comes back mid-call, the capture is reopened
_CAPTURED = frozenset({api.DeviceRole.CAMERA, api.DeviceRole.MICROPHONE, api.DeviceRole.PTZ})

_ACTIVE = frozenset(
    {
        api.CallState.JOINING,
        api.CallState.PIN_REQUIRED,
        api.CallState.EXTENSION_REQUIRED,
        api.CallState.IN_CALL,
        api.CallState.WAITING_TO_REJOIN,
    }
)


class RoomController:
    """The room: state, commands, events and pictures over one PexRTC client at a time."""

    def __init__(
        self,
        site: SiteConfig,
        profile: HwProfile,
        *,
        clock: Clock = SYSTEM_CLOCK,
        liveness: LivenessSettings | None = None,
        seed: int | None = None,
        pin_factory: Any = None,
        udev_monitor: MonitorLike | None = None,
    ) -> None:
        """``pin_factory`` and ``udev_monitor`` replace the profile's GPIO chip and udev's netlink
        socket (tests pass gpiozero's ``MockFactory`` and :class:`~appliance.hw.udev_fake.FakeMonitor`)."""
        self.site = site
        self.profile = profile
        self.clock = clock
        # media_timeout_s from the site file; tests and benchmarks may pass their own
        self.liveness = liveness or LivenessSettings(timeout_s=site.join.media_timeout_s)
        self.rejoin = RejoinPolicy(site.join, clock, seed=seed)
        self._state = api.RoomState(
            room_name=site.room_name,
            node=site.node.url,
            version=__version__,
            setup_missing=site.setup_missing,
            speaker_tracking=site.speaker_tracking and profile.tracking is not None,
        )
        self._events = EventFanout()
        self._pictures = SlotPictures()
        self._call: RoomCall | None = None
        self._runner: asyncio.Task[None] | None = None
        self._interrupt = asyncio.Event()
        self._liveness_task: asyncio.Task[None] | None = None
        self._layouts = LayoutCycle()
        self._started = False
        self._rest_started = False
        # Being called (docs/being-called.md): registration, answer policy, ring.
        self.calls_in = IncomingCalls(self, site, ring_output=lambda: playback_output(profile.audio_playback))
        # Standby and wake: presets, reset, TV power over CEC (docs/being-called.md).
        self.rest = RoomRest(self, site.standby, display=open_display(profile.cec))
        # The microphone array (docs/microphone-array.md): capture device, directions, speaker tracking.
        self.array = RoomArray(self, profile)
        # The room's hardware (docs/hardware.md, "For the room controller"): the button panel
        # and LEDs, the PTZ camera and far-end camera control, hot-plugged devices.
        self.hardware = RoomHardware(
            self,
            profile,
            clock,
            pin_factory=pin_factory,
            udev_monitor=udev_monitor,
            on_fecc_active=self._fecc_active,
        )
        self._presence: asyncio.Task[None] | None = None

    # -- the Room protocol ---------------------------------------------------------

    @property
    def state(self) -> api.RoomState:
        return self._state

    @property
    def pictures(self) -> SlotPictures:
        return self._pictures

    def subscribe(self, maxsize: int = 256) -> AsyncIterator[api.RoomEvent]:
        return self._events.subscribe(maxsize)

    async def submit(self, command: api.RoomCommand) -> api.CommandResult:
        try:
            return await self._carry_out(command)
        except (ApplianceError, NotConnected, ValueError) as exc:
            log.warning("room command refused", extra={"context": {"command": type(command).__name__}})
            return api.CommandResult(False, str(exc))

    # -- life -------------------------------------------------------------------------

    async def start(self) -> None:
        """Check the devices, then rest in IDLE / SETUP_NEEDED or join if the site says so."""
        if self._started:
            return
        self._started = True
        install_profile_codecs(self.profile)
        devices = check_devices(self.profile)
        self._set("devices checked", devices=devices)
        for device in devices:
            if not device.present:
                self._publish(api.DevicePresence(device))
        await self._start_hardware()
        await self._settle("site loaded")

    async def _start_hardware(self) -> None:
        """Panel, PTZ camera, hot-plug; a panel that cannot be opened is a room error, not a crash."""
        try:
            await self.hardware.start()
        except GpioError as exc:  # the message names the profile key (e.g. "[gpio.buttons.mute] pin")
            log.error("button panel not started: %s", exc)
            self._device_changed(api.DeviceStatus(api.DeviceRole.GPIO, False, "button panel", str(exc)))
            error = api.RoomError(api.ErrorKind.DEVICE, f"the button panel cannot be used: {exc}")
            self._set("button panel not started", error=error)
            self._publish(api.ErrorRaised(error))
        self._presence = asyncio.get_running_loop().create_task(self._follow_presence(), name="room-devices")

    async def _settle(self, cause: str) -> None:
        """From a new site: SETUP_NEEDED when it lacks something, else IDLE and auto-join."""
        if self.site.setup_missing:
            missing = ", ".join(self.site.setup_missing)
            self._set(f"site file lacks {missing}", call=api.CallState.SETUP_NEEDED)
            return
        self._set(cause, call=api.CallState.IDLE)
        if not self._rest_started:  # once per process; a changed [standby] takes a restart
            self._rest_started = True
            await self.rest.start()
            await self.array.start()  # directions and speaker tracking
        await self.calls_in.start()
        if self.site.join.auto_join:
            self._start_runner("auto-join", scheduled=True)

    async def reconfigure(self, site: SiteConfig) -> None:
        """Take a changed site file: leave what runs, then start over from it.

        The hardware profile stays (devices are opened once per process);
        a new profile takes a restart, which is logged.
        """
        if site.profile != self.site.profile:
            log.warning("the site file names another profile; it takes effect at the next start")
        await self.calls_in.close()
        await self._stop_runner("site file changed")
        self.site = site
        self.rejoin = RejoinPolicy(site.join, self.clock)
        self.calls_in = IncomingCalls(
            self, site, ring_output=lambda: playback_output(self.profile.audio_playback)
        )
        self._set(
            "site file changed",
            room_name=site.room_name,
            node=site.node.url,
            setup_missing=site.setup_missing,
            error=None,
        )
        await self._settle("site file changed")

    def configuration_problem(self, message: str, *, usable: bool) -> None:
        """A site file that cannot be used: say exactly what is wrong.

        ``usable``: a good site is still running (it is kept; the error is
        raised as an event and shown, the call goes on); otherwise the room
        has nothing to run and waits in ERROR until the file is fixed.
        """
        error = api.RoomError(api.ErrorKind.CONFIGURATION, message)
        if usable:
            self._set("site file rejected; keeping the last good one", error=error)
        else:
            self._set("site file rejected", call=api.CallState.ERROR, error=error)
        self._publish(api.ErrorRaised(error))

    async def stop(self) -> None:
        """Leave cleanly (token released, media hung up) and stop every task."""
        await self.rest.close()
        await self.calls_in.close()
        await self.array.close()
        await self._stop_runner("stopping")
        if self._presence is not None:
            self._presence.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._presence
        await self.hardware.stop()
        self._pictures.close()

    # -- state ------------------------------------------------------------------------

    def _set(self, cause: str, **changes: Any) -> api.RoomState:
        old = self._state
        new = dataclasses.replace(old, **changes)
        if new == old:
            return old
        self._state = new
        context: dict[str, Any] = {
            "event": "room.state",
            "old": old.call.value,
            "new": new.call.value,
            "cause": cause,
        }
        if new.call != old.call:
            log.info("room %s -> %s: %s", old.call.value, new.call.value, cause, extra={"context": context})
        else:
            context["changed"] = [
                f.name for f in dataclasses.fields(new) if getattr(new, f.name) != getattr(old, f.name)
            ]
            log.debug("room %s: %s", new.call.value, cause, extra={"context": context})
        self._publish(api.StateChanged(old, new, cause))
        return new

    def _publish(self, event: api.RoomEvent) -> None:
        self._events.publish(event)

    # -- for the parts the room composes (calls_in) -------------------------------------

    def update(self, cause: str, **changes: Any) -> api.RoomState:
        return self._set(cause, **changes)

    @property
    def will_rejoin(self) -> bool:
        """True while the call loop runs (e.g. resting after a meeting ended before joining again)."""
        return self._runner is not None and not self._runner.done()

    def publish(self, event: api.RoomEvent) -> None:
        self._publish(event)

    async def answer_invitation(self, invitation: Invitation) -> None:
        """Answer an incoming call: leave what runs (a meeting, a rejoin wait), join the offer."""
        await self._stop_runner(f"answering a call from {invitation.caller}", then=api.CallState.JOINING)
        if invitation.muted:
            self._set("answering muted", microphone_muted=True)
        self._start_runner("answering a call", invitation=invitation)

    # -- the call loop ----------------------------------------------------------------

    def _start_runner(
        self, cause: str, alias: str = "", invitation: Invitation | None = None, *, scheduled: bool = False
    ) -> None:
        """Start the call loop; ``scheduled`` (an automatic join) first waits for ``[join] schedule``."""
        if self._runner is not None and not self._runner.done():
            return
        self._interrupt.clear()
        self._runner = asyncio.get_running_loop().create_task(
            self._run(cause, alias, invitation, scheduled=scheduled), name="room-call"
        )

    async def _until_scheduled(self) -> bool:
        """Rest in STANDBY while the schedule is closed; False when a command interrupted."""
        closed = self.rejoin.seconds_until_allowed()
        if closed <= 0:
            return True
        self._set(f"outside the schedule; joining in {closed:.0f} s", call=api.CallState.STANDBY)
        return await self._wait(closed)

    async def _stop_runner(self, cause: str, then: api.CallState = api.CallState.IDLE) -> None:
        runner = self._runner
        if runner is None or runner.done():
            if self._state.call in _ACTIVE:
                self._set(cause, call=then, recovering="", waiting_for="")
            return
        self._interrupt.set()
        call = self._call
        if call is not None:
            self._set(cause, call=api.CallState.LEAVING, waiting_for="")
            call.end(CallEnded(api.DisconnectCause.LOCAL, cause))
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        self._set(cause, call=then, recovering="", waiting_for="", meeting=api.Meeting(), participants=())

    async def _run(
        self, cause: str, alias: str, invitation: Invitation | None = None, *, scheduled: bool = False
    ) -> None:
        """Join; when the call ends, ask the rejoin policy; wait; join again — until told to stop."""
        try:
            if scheduled and not await self._until_scheduled():
                return
            why = cause
            while not self._interrupt.is_set():
                ended = await self._one_call(alias, why, invitation)
                why = f"rejoin after {ended.cause.value}"
                if ended.cause is api.DisconnectCause.LOCAL or self._interrupt.is_set():
                    return
                if invitation is not None:
                    # an answered call is not the site's meeting: it is over when it ends
                    self._set(
                        f"call ended: {ended.detail}",
                        call=api.CallState.IDLE,
                        recovering="",
                        waiting_for="",
                        participants=(),
                        meeting=api.Meeting(),
                    )
                    return
                decision = self.rejoin.after(ended.cause, ended.error)
                self._log_loss(ended, decision.reason)
                if decision.action is Action.REJOIN:
                    self._set(
                        f"{ended.cause.value}: {decision.reason}",
                        call=api.CallState.WAITING_TO_REJOIN,
                        recovering="rejoin",
                        participants=(),
                        error=None if ended.cause is api.DisconnectCause.NETWORK else self._state.error,
                    )
                    self._publish(api.RecoveryStarted("rejoin", ended.cause))
                    if not await self._wait(decision.delay_s):
                        return
                    continue
                target = {
                    Action.IDLE: api.CallState.IDLE,
                    Action.STANDBY: api.CallState.STANDBY,
                    Action.ERROR: api.CallState.ERROR,
                }[decision.action]
                self._set(
                    f"{ended.cause.value}: {decision.reason}",
                    call=target,
                    recovering="",
                    waiting_for="",
                    participants=(),
                    meeting=api.Meeting(),
                )
                if decision.delay_s is not None and decision.action is not Action.ERROR:
                    # e.g. a meeting that ended: rest, then try again when the policy says
                    if not await self._wait(decision.delay_s):
                        return
                    continue
                return
        finally:
            self._call = None

    async def _wait(self, seconds: float | None) -> bool:
        """Sleep on the room's clock; False when a command interrupted the wait."""
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds if seconds is not None else 1e9))
        interrupted = asyncio.ensure_future(self._interrupt.wait())
        try:
            await asyncio.wait({sleeper, interrupted}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            interrupted.cancel()
        return not self._interrupt.is_set()

    async def _one_call(self, alias: str, cause: str, invitation: Invitation | None = None) -> CallEnded:
        outputs = self._outputs()
        call = RoomCall(
            self.site,
            self._preferences(),
            outputs,
            self,
            alias=alias,
            microphone_muted=self._state.microphone_muted,
            camera_privacy=self._state.camera_privacy,
            invitation=invitation,
            fecc_supported=self.hardware.fecc_supported,
        )
        self._call = call
        started = self.clock.monotonic()
        recovering = self._state.recovering
        runner = asyncio.ensure_future(call.run(cause))
        try:
            ended = await asyncio.shield(runner)
        except asyncio.CancelledError:
            call.end(CallEnded(api.DisconnectCause.LOCAL, "cancelled"))
            raise
        except Exception as exc:  # a bug must cost one call, never the room: the policy rejoins
            log.exception("the call failed unexpectedly")
            ended = CallEnded(api.DisconnectCause.NETWORK, f"internal error: {type(exc).__name__}: {exc}")
            call.end(ended)
        finally:
            await self._stop_liveness()
            await call.close(
                leave=not call.ended.done() or call.ended.result().cause is api.DisconnectCause.LOCAL
            )
            if not runner.done():
                runner.cancel()
            if outputs.audio_output is not None:  # a roster-only call never opens (or closes) it
                await asyncio.to_thread(outputs.audio_output.close)
            if self._call is call:
                self._call = None  # waiting to rejoin is not being in a call
        if recovering == "rejoin":
            self._publish(api.RecoveryFinished("rejoin", call.in_call, self.clock.monotonic() - started))
        return ended

    def _log_loss(self, ended: CallEnded, decision: str) -> None:
        counts = {cause.value: n for cause, n in self.rejoin.counts.items()}
        log.warning(
            "call lost: %s",
            ended.detail,
            extra={
                "context": {
                    "event": "room.lost",
                    "cause": ended.cause.value,
                    "decision": decision,
                    "counts": counts,
                }
            },
        )
        if ended.cause not in (api.DisconnectCause.TRANSFER, api.DisconnectCause.LOCAL):
            error = api.RoomError(error_kind(ended.error, ended.cause, ended.detail), ended.detail)
            self._set(ended.detail, error=error)
            self._publish(api.ErrorRaised(error))

    def _preferences(self) -> MediaPreferences:
        conference = self.site.conference
        return MediaPreferences(
            audio_source=self.array.microphone(),
            # the virtual PTZ camera (ci-virtual) sends the part of its picture it points at
            video_source=capture_device("video", self.profile.video_capture, view=self.hardware.view),
            bandwidth_in=conference.bandwidth_in,
            bandwidth_out=conference.bandwidth_out,
        )

    def _outputs(self) -> MediaOutputs:
        display = self.profile.display
        return MediaOutputs(
            audio_output=playback_output(self.profile.audio_playback),
            main_slot=self._pictures.slots["main"],
            presentation_slot=self._pictures.slots["presentation"],
            # None: pictures keep the size they were sent at and the kiosk scales them (GPU
            # texture, or pygame on the CPU), which costs a fraction of libswscale scaling
            # each frame to the display (bench ui (a) and (c); docs/kiosk.md, "Display paths")
            display_size=None,
            # the kiosk's self-view is a fifth of the screen wide (docs/kiosk.md)
            self_slot=self._pictures.slots["self"],
            self_size=(display.width // 5, display.height // 5),
        )

    # -- what the call tells us (CallListener) -------------------------------------------

    def call_progress(
        self, call: api.CallState, cause: str, *, waiting_for: str = "", alias: str = ""
    ) -> None:
        changes: dict[str, Any] = {"call": call, "waiting_for": waiting_for}
        if alias:
            changes["meeting"] = dataclasses.replace(self._state.meeting, name=alias, alias=alias)
        if call is api.CallState.IN_CALL:
            changes["recovering"] = ""
            changes["error"] = None
            changes["meeting"] = dataclasses.replace(
                changes.get("meeting", self._state.meeting), started_at=self.clock.monotonic()
            )
            self.rejoin.joined()
        self._set(cause, **changes)

    def roster_changed(self, participants: tuple[api.Participant, ...], meeting: api.Meeting) -> None:
        old = {p.uuid: p for p in self._state.participants}
        new = {p.uuid: p for p in participants}
        me = next((p for p in participants if p.is_self), None)
        meeting = dataclasses.replace(meeting, started_at=self._state.meeting.started_at)
        muted_by_host = me.muted if me is not None else self._state.muted_by_host
        hand = me.hand_raised if me is not None else self._state.hand_raised
        was_muted = self._state.muted_by_host
        self._set(
            "roster",
            participants=participants,
            meeting=meeting,
            muted_by_host=muted_by_host,
            hand_raised=hand,
        )
        for uuid in new.keys() - old.keys():
            self._publish(api.ParticipantJoined(new[uuid]))
        for uuid in old.keys() - new.keys():
            self._publish(api.ParticipantLeft(old[uuid]))
        if muted_by_host != was_muted:
            self._publish(api.MutedByHost(muted_by_host))

    def room_event(self, event: api.RoomEvent) -> None:
        self._publish(event)

    def media_up(self, call: RoomCall) -> None:
        if call.conference.call_type.value not in WATCHED_CALL_TYPES:
            return  # nothing always arrives on these: silence is no fault
        if self._liveness_task is None or self._liveness_task.done():
            self._liveness_task = asyncio.get_running_loop().create_task(
                watch_media(call, self.liveness, self.clock, self._recovery), name="room-liveness"
            )

    def far_end_camera(self, signal: dict[str, Any]) -> None:
        self.hardware.handle_fecc(signal)

    def _fecc_active(self, moving: bool) -> None:
        self._set(f"far-end camera control {'moving' if moving else 'stopped'}", fecc_active=moving)

    def _recovery(self, event: api.RecoveryStarted | api.RecoveryFinished) -> None:
        self._publish(event)
        if isinstance(event, api.RecoveryStarted):
            self._set(f"media stalled: {event.cause}", recovering=event.step)
        else:
            self._set("media back" if event.ok else "media not back", recovering="")

    async def _stop_liveness(self) -> None:
        task, self._liveness_task = self._liveness_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- commands ---------------------------------------------------------------------

    async def _carry_out(self, command: api.RoomCommand) -> api.CommandResult:
        state = self._state.call
        if isinstance(command, api.Join):
            if state in (api.CallState.SETUP_NEEDED, api.CallState.STARTING):
                return api.CommandResult(False, "the room is not set up: no meeting configured")
            if state in _ACTIVE and state is not api.CallState.WAITING_TO_REJOIN:
                return api.CommandResult(False, "already in or joining a meeting")
            if self.will_rejoin:
                # a call loop that waits (to rejoin, for the schedule, after a meeting ended)
                # would swallow this Join until its wait ends: a person's Join joins now
                await self._stop_runner("join now")
            self._start_runner("join requested", command.alias)
            return api.ACCEPTED
        if isinstance(command, api.Leave):
            if state not in _ACTIVE:
                return api.CommandResult(False, "not in a meeting")
            await self._stop_runner("leave requested")
            return api.ACCEPTED
        if isinstance(command, api.Standby):
            await self._stop_runner("standby requested", then=api.CallState.STANDBY)
            if self._state.call is not api.CallState.SETUP_NEEDED:
                self._set("standby requested", call=api.CallState.STANDBY)
            return api.ACCEPTED
        if isinstance(command, api.Wake):
            if state is not api.CallState.STANDBY:
                return api.CommandResult(False, "the room is not in standby")
            if self.will_rejoin:  # the loop resting until the schedule opens: woken, it joins now
                await self._stop_runner(f"woken by {command.source or 'a command'}")
            self._set(f"woken by {command.source or 'a command'}", call=api.CallState.IDLE)
            if self.site.join.auto_join:
                self._start_runner("auto-join after wake")
            return api.ACCEPTED
        if isinstance(command, api.Restart):
            await self._stop_runner("restart requested")
            self._start_runner("restart")
            return api.ACCEPTED
        if isinstance(command, api.MuteMicrophone):
            return self._mute(microphone=command.on)
        if isinstance(command, api.CameraPrivacy):
            return self._mute(camera=command.on)
        return await self._in_call_command(command)

    def _mute(self, *, microphone: bool | None = None, camera: bool | None = None) -> api.CommandResult:
        call = self._call
        if call is not None:
            call.set_mutes(microphone, camera)
            apply_mutes(call.conference, microphone=microphone, camera=camera)
        if microphone is not None:
            self._set("microphone muted" if microphone else "microphone unmuted", microphone_muted=microphone)
        if camera is not None:
            self._set("camera privacy on" if camera else "camera privacy off", camera_privacy=camera)
        return api.ACCEPTED

    async def _in_call_command(self, command: api.RoomCommand) -> api.CommandResult:
        call = self._call
        state = self._state.call
        if isinstance(command, api.EnterPin):
            if call is None or state is not api.CallState.PIN_REQUIRED:
                return api.CommandResult(False, "no PIN is being asked for")
            self._set("PIN entered", call=api.CallState.JOINING, waiting_for="token")
            call.enter_pin(command.pin)
            return api.ACCEPTED
        if isinstance(command, api.EnterExtension):
            if call is None or state is not api.CallState.EXTENSION_REQUIRED:
                return api.CommandResult(False, "no meeting number is being asked for")
            self._set("extension entered", call=api.CallState.JOINING, waiting_for="token")
            call.enter_extension(command.extension)
            return api.ACCEPTED
        if isinstance(command, api.Answer):
            return await self.calls_in.answer(command.call_id)
        if isinstance(command, api.Decline):
            return await self.calls_in.decline(command.call_id)
        if isinstance(command, api.SpeakerTracking):
            return self.array.set_tracking(command.on)
        if isinstance(command, (api.RecallPreset, api.StorePreset, api.MoveCamera)):
            return await self._camera_command(command)
        if call is None or state is not api.CallState.IN_CALL:
            return api.CommandResult(False, "not in a meeting")
        result = await meeting_command(call.conference, command, self._layouts)
        if result is None:
            return api.CommandResult(False, f"{type(command).__name__} is not a command this room knows")
        if isinstance(command, api.RaiseHand):
            self._set("hand raised" if command.on else "hand lowered", hand_raised=command.on)
        return result

    async def _camera_command(
        self, command: api.RecallPreset | api.StorePreset | api.MoveCamera
    ) -> api.CommandResult:
        """Our PTZ camera, in a call or not; a person moving it holds speaker tracking off a while."""
        result = await self.hardware.camera_command(command)
        by_tracking = isinstance(command, api.RecallPreset) and command.source == TRACKING_SOURCE
        if result.ok and not by_tracking:
            self._set(f"camera moved: {type(command).__name__}", camera_moved_at=self.clock.monotonic())
        return result

    # -- devices coming and going ---------------------------------------------------------

    async def _follow_presence(self) -> None:
        async for event in self.hardware.presence():
            self._device_changed(event.device)
            if event.device.present and event.device.role in _CAPTURED:
                await self._reopen_capture(event.device)

    def _device_changed(self, device: api.DeviceStatus) -> None:
        """One device's presence into the state (one entry per role) and out as ``DevicePresence``."""
        others = tuple(d for d in self._state.devices if d.role is not device.role)
        word = "back" if device.present else "gone"
        self._set(f"{device.role.value} {word}: {device.detail}", devices=(*others, device))
        self._publish(api.DevicePresence(device))

    async def _reopen_capture(self, device: api.DeviceStatus, attempts: int = 3) -> None:
        """A camera or microphone is back mid-call: reopen the capture and renegotiate, keeping the call.

        While it was gone the call went on without our picture or sound (the
        media engine's relay waits for a source); the engine reopens what is
        not live and sends an ``update`` only if an m-line's direction changes.
        The PTZ camera counts too: the virtual one's view goes into the capture.
        A device node that udev announces before it can be opened gets a
        few more tries, a second apart.
        """
        for attempt in range(1, attempts + 1):
            call = self._call
            if call is None or not call.conference.has_media:
                return
            try:
                await call.conference.renegotiate(False, self._preferences())
            except (ApplianceError, NotConnected) as exc:
                log.warning(
                    "%s not reopened",
                    device.role.value,
                    extra={"context": {"device": device.name, "attempt": attempt, "error": str(exc)}},
                )
                await self.clock.sleep(1.0)
                continue
            context = {"event": "room.reopen", "role": device.role.value, "device": device.name}
            log.info("%s reopened", device.role.value, extra={"context": context})
            return
