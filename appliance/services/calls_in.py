"""Being called: the registration, the answer policy, the ring, Answer and Decline.

The room controller composes one :class:`IncomingCalls` (docs/being-called.md).
It keeps the site's ``[registration]`` alias registered
(:class:`~appliance.infinity.registration.Registration`), puts
``RoomState.registered`` in step with it, and turns each ``incoming`` offer
into what the room does by the site's ``[answer]`` policy
(:func:`~appliance.services.answer_policy.decide`):

* **reject** — nothing rings; the offer is left to time out on the node;
* **ring** — ``RoomState.incoming`` names the caller (the kiosk shows it),
  the call state becomes ``RINGING`` (in a meeting too, whose call goes on
  underneath until the call is answered), an
  :class:`~appliance.services.room_api.IncomingCallEvent` is published and the
  ring tone plays until ``Answer``, ``Decline`` or ``incoming_cancelled``;
* **auto-answer** — the same, and the room answers by itself after the
  delay, measured on the room's clock.

Answering hands an :class:`Invitation` (the offered conference and its
one-time token) to the controller, which leaves a running meeting first
when the policy allowed that, and joins. ``Decline`` and a cancelled offer
silence the ring at once and put the room back where it was. The offer's
token never leaves this module except inside the :class:`Invitation`;
``call_id`` in the room state is an opaque handle.
"""

from __future__ import annotations

import asyncio
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from appliance.config.site import SiteConfig
from appliance.errors import ApplianceError
from appliance.infinity.errors import InvalidCredentials
from appliance.infinity.events import Event
from appliance.infinity.options import ClientOptions
from appliance.infinity.registration import (
    IncomingCall,
    IncomingCancelled,
    Registered,
    Registration,
    RegistrationCredentials,
    RegistrationLost,
    RegistrationPolicy,
)
from appliance.log import get_logger
from appliance.media.ringtone import RingTone
from appliance.media.sinks import AudioOutput
from appliance.services import room_api as api
from appliance.services.answer_policy import Action, Caller, Decision, decide
from appliance.services.clock import Clock

log = get_logger(__name__)

# A call arriving in these states arrives "during a meeting" (answer policy).
IN_MEETING: Final = frozenset(
    {
        api.CallState.JOINING,
        api.CallState.PIN_REQUIRED,
        api.CallState.EXTENSION_REQUIRED,
        api.CallState.IN_CALL,
        api.CallState.LEAVING,
        api.CallState.WAITING_TO_REJOIN,
    }
)


@dataclass(frozen=True, slots=True)
class Invitation:
    """An answered offer: join ``conference_alias`` with the one-time ``token``."""

    conference_alias: str
    token: str = field(repr=False)
    registration_token: str | None = field(default=None, repr=False)
    caller: str = ""
    muted: bool = False  # answer with the microphone muted ([answer] muted)
    leave_first: bool = False  # the room is in a meeting and leaves it for this call


class CallHost(Protocol):
    """What :class:`IncomingCalls` needs of the room controller."""

    clock: Clock

    @property
    def state(self) -> api.RoomState: ...

    def update(self, cause: str, **changes: Any) -> api.RoomState:
        """Change the room state (one ``StateChanged`` with ``cause``)."""
        ...

    def publish(self, event: api.RoomEvent) -> None: ...

    async def answer_invitation(self, invitation: Invitation) -> None:
        """Leave what the room is doing if needed, and join the offered conference."""
        ...


@dataclass(slots=True)
class _Ringing:
    offer: IncomingCall
    shown: api.IncomingCall
    decision: Decision
    previous: api.CallState
    timer: asyncio.Task[None] | None = None


class IncomingCalls:
    """One room's incoming calls; does nothing but answer commands when no alias is registered."""

    def __init__(
        self,
        host: CallHost,
        site: SiteConfig,
        *,
        ring_output: Callable[[], AudioOutput] | None = None,
        options: ClientOptions | None = None,
        policy: RegistrationPolicy | None = None,
    ) -> None:
        self._host = host
        self._site = site
        self._ring_output = ring_output
        self._ringing: _Ringing | None = None
        self._tone: RingTone | None = None
        self._output: AudioOutput | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.registration: Registration | None = None
        config = site.registration
        if config is not None and site.registration_password and site.node.url:
            self.registration = Registration(
                site.node.url,
                config.alias,
                RegistrationCredentials(config.username, site.registration_password),
                options=options
                or ClientOptions(
                    verify_tls=site.node.verify_tls,
                    ca_file=str(site.node.ca_file) if site.node.ca_file else None,
                ),
                policy=policy,
            )
            self.registration.subscribe(self._on_registration)

    @property
    def ringing(self) -> bool:
        return self._ringing is not None

    @property
    def ring_tone_playing(self) -> bool:
        return self._tone is not None and self._tone.ringing

    async def start(self) -> None:
        if self.registration is not None:
            self.registration.start()

    async def close(self) -> None:
        await self._silence()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.registration is not None:
            await self.registration.close()

    # --- the registration's events -----------------------------------------------------

    def _on_registration(self, event: Event) -> None:
        if isinstance(event, Registered):
            error = self._host.state.error
            if error is not None and error.kind is api.ErrorKind.REGISTRATION:
                self._host.update("registered for incoming calls", registered=True, error=None)
            else:
                self._host.update("registered for incoming calls", registered=True)
        elif isinstance(event, RegistrationLost):
            self._host.update(f"not registered: {event.error}", registered=False)
            if isinstance(event.error, InvalidCredentials):
                error = api.RoomError(api.ErrorKind.REGISTRATION, str(event.error))
                self._host.update("registration refused", error=error)
                self._host.publish(api.ErrorRaised(error))
        elif isinstance(event, IncomingCall):
            self._offered(event)
        elif isinstance(event, IncomingCancelled):
            ringing = self._ringing
            if ringing is not None and ringing.offer.token == event.token:
                self._spawn(self._stop("the caller hung up", cancelled=True))

    def _offered(self, offer: IncomingCall) -> None:
        caller = offer.remote_display_name or offer.conference_alias
        if self._ringing is not None:
            log.info(
                "a second incoming call while one rings is left unanswered",
                extra={"context": {"caller": caller}},
            )
            return
        state = self._host.state
        decision = decide(
            self._site.answer,
            Caller(offer.remote_display_name, offer.conference_alias),
            in_meeting=state.call in IN_MEETING,
            now=self._host.clock.monotonic(),
        )
        log.info(
            "incoming call from %s: %s",
            caller,
            decision.reason,
            extra={"context": {"event": "room.incoming", "action": decision.action.value}},
        )
        if decision.action is Action.REJECT:
            return
        shown = api.IncomingCall(
            caller=caller, conference=offer.conference_alias, call_id=uuidlib.uuid4().hex[:12]
        )
        self._ringing = ringing = _Ringing(offer, shown, decision, previous=state.call)
        # RINGING in a meeting too (leave-and-answer): the kiosk's incoming screen and the
        # panel's join/hang-up button answer or decline only a ringing room; the meeting's
        # call goes on underneath and Decline puts the state back.
        self._host.update(f"incoming call from {caller}", incoming=shown, call=api.CallState.RINGING)
        self._host.publish(api.IncomingCallEvent(shown))
        self._start_tone()
        if decision.action is Action.AUTO_ANSWER:
            ringing.timer = self._spawn(self._answer_later(ringing))

    async def _answer_later(self, ringing: _Ringing) -> None:
        clock = self._host.clock
        answer_at = ringing.decision.answer_at or clock.monotonic()
        await clock.sleep(max(0.0, answer_at - clock.monotonic()))
        if self._ringing is ringing:
            await self._answer(ringing, "answered automatically")

    # --- commands --------------------------------------------------------------------------

    async def answer(self, call_id: str = "") -> api.CommandResult:
        ringing = self._ringing
        if ringing is None:
            return api.CommandResult(False, self._nothing_ringing())
        if call_id and call_id != ringing.shown.call_id:
            return api.CommandResult(False, "that call is no longer ringing")
        await self._answer(ringing, "answered")
        return api.ACCEPTED

    async def decline(self, call_id: str = "") -> api.CommandResult:
        ringing = self._ringing
        if ringing is None:
            return api.CommandResult(False, self._nothing_ringing())
        if call_id and call_id != ringing.shown.call_id:
            return api.CommandResult(False, "that call is no longer ringing")
        await self._stop("declined", cancelled=True)
        return api.ACCEPTED

    def _nothing_ringing(self) -> str:
        if self.registration is None:
            return "no incoming call: this room is not registered for calls"
        return "no incoming call is ringing"

    async def _answer(self, ringing: _Ringing, cause: str) -> None:
        self._ringing = None
        if ringing.timer is not None and ringing.timer is not asyncio.current_task():
            ringing.timer.cancel()
        await self._silence()
        offer = ringing.offer
        invitation = Invitation(
            conference_alias=offer.conference_alias,
            token=offer.token,
            registration_token=self.registration.token if self.registration is not None else None,
            caller=ringing.shown.caller,
            muted=ringing.decision.muted,
            leave_first=ringing.decision.leave_first,
        )
        log.info("%s: joining %s", cause, offer.conference_alias, extra={"context": {"event": "room.answer"}})
        self._host.update(cause, incoming=None)
        await self._host.answer_invitation(invitation)

    async def _stop(self, cause: str, *, cancelled: bool) -> None:
        """Stop ringing (declined or cancelled): silence, and the room goes back where it was."""
        ringing, self._ringing = self._ringing, None
        if ringing is None:
            return
        if ringing.timer is not None:
            ringing.timer.cancel()
        await self._silence()
        changes: dict[str, Any] = {"incoming": None}
        if self._host.state.call is api.CallState.RINGING:
            changes["call"] = ringing.previous
        self._host.update(cause, **changes)
        self._host.publish(api.IncomingCallEvent(ringing.shown, cancelled=cancelled))

    # --- the ring tone ---------------------------------------------------------------------

    def _start_tone(self) -> None:
        if self._ring_output is None:
            return
        try:
            self._output = self._ring_output()
        except ApplianceError as exc:
            log.warning("no ring tone: %s", exc)
            return
        self._tone = RingTone(self._output)
        self._tone.start()

    async def _silence(self) -> None:
        tone, self._tone = self._tone, None
        output, self._output = self._output, None
        if tone is not None:
            await tone.stop()
        if output is not None:
            await asyncio.to_thread(output.close)

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("incoming-call task failed", exc_info=task.exception())
