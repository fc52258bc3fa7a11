"""Device registration: the alias a room is called on (reference §3.8).

A room that only dials out never rings. Infinity reaches a *registered*
device instead: the device holds a registration token for its alias
(``POST registrations/{alias}/request_token`` with the alias's user name and
password), keeps it alive like a conference token, and listens on the
registration's own event stream. When a meeting dials the alias the node
sends ``incoming`` with the conference alias, the caller's name and a
one-time token; the device joins that conference with the token (and its
registration token) in ``request_token``. ``incoming_cancelled`` withdraws
the offer (the caller hung up, or the node stopped ringing).

:class:`Registration` keeps the alias registered for as long as it runs:
refresh every ``expires/3``, and after any loss (a refused refresh, the
event stream giving up, a node restart that forgot the token) register
again, waiting with a doubling backoff while the node does not answer.
Wrong credentials are a different failure: no retry can fix them until a
person edits the secrets file, so they are reported as
:class:`InvalidCredentials` and retried slowly (``credentials_retry_s``),
never in a tight loop. The password and the ``Authorization`` value are
registered as secrets, so no log line can carry them
(docs/being-called.md).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

import aiohttp

from appliance.aio import cancel_and_wait, newest_items
from appliance.backoff import Backoff
from appliance.infinity.errors import (
    EventStreamLost,
    InfinityError,
    InvalidCredentials,
    ProtocolError,
    SessionClosed,
)
from appliance.infinity.events import Event, MalformedEvent, UnknownEvent
from appliance.infinity.http import decode_response
from appliance.infinity.keepalive import refresh_before_expiry
from appliance.infinity.options import ClientOptions
from appliance.infinity.registration_wire import (
    DIRECTORY_PATH,
    REGISTER,
    RegistrationGrant,
    RegistrationTransport,
    parse_grant,
    refusal,
)
from appliance.infinity.stream import EventStream
from appliance.infinity.tokens import token_lifetime, token_object
from appliance.log import forget_secret, get_logger, register_secret

KEEP: Final = "keep the registration alive"
RELEASE: Final = "release the registration"
EVENTS: Final = "receive registration events"
DIRECTORY: Final = "search the directory"

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RegistrationCredentials:
    """The alias's user name and password from the secrets file; ``repr`` hides the password."""

    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        register_secret(self.password)
        register_secret(self._encoded())

    def _encoded(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return base64.urlsafe_b64encode(raw).decode("ascii")

    def authorization(self) -> str:
        """The ``Authorization`` header value: ``x-pexip-basic base64url(user:pass)`` (§3.8)."""
        return "x-pexip-basic " + self._encoded()


# Registering again after a network or node failure: 1, 2, 4 ... 60 s.
REGISTER_RETRY: Final = Backoff(first=1.0, factor=2.0, cap=60.0)


@dataclass(frozen=True, slots=True)
class RegistrationPolicy:
    """How soon to register again after a failure.

    Attempt ``n`` after a network or node failure waits ``retry.delay(n)``
    (the shared :class:`~appliance.backoff.Backoff`: 1 s doubling to 60 s by
    default). Refused credentials wait ``credentials_retry_s`` every time:
    slow, because only a person can fix them, but not never, because that
    person may fix them on the node.
    """

    retry: Backoff = REGISTER_RETRY
    credentials_retry_s: float = 300.0

    def __post_init__(self) -> None:
        if self.credentials_retry_s <= 0:
            raise ValueError("RegistrationPolicy.credentials_retry_s: expected a positive number")

    def delay(self, error: InfinityError, failures: int) -> float:
        """Seconds to wait before registering again after ``failures`` failures in a row."""
        if isinstance(error, InvalidCredentials):
            return self.credentials_retry_s
        return self.retry.delay(max(1, failures))


# --- events ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingCall(Event):
    """A conference is calling this alias; join ``conference_alias`` with ``token`` to answer."""

    NAME: ClassVar[str] = "incoming"
    conference_alias: str
    remote_display_name: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingCancelled(Event):
    """The offer carrying ``token`` is withdrawn: stop ringing."""

    NAME: ClassVar[str] = "incoming_cancelled"
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Registered(Event):
    """Client-side: the alias is registered (again)."""

    grant: RegistrationGrant


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationLost(Event):
    """Client-side: not registered; the next attempt starts in ``retry_in`` seconds."""

    error: InfinityError
    retry_in: float


def parse_registration_event(name: str, data: str, event_id: str | None = None) -> Event:
    """SSE message of the registration stream -> typed event, never raising."""
    try:
        payload: Any = json.loads(data) if data else None
    except ValueError:
        return MalformedEvent(event_id=event_id, raw=data, wire_name=name, error="data is not JSON")
    if name not in (IncomingCall.NAME, IncomingCancelled.NAME):
        return UnknownEvent(event_id=event_id, raw=payload, wire_name=name)
    if not isinstance(payload, Mapping) or not isinstance(payload.get("token"), str) or not payload["token"]:
        return MalformedEvent(event_id=event_id, raw=None, wire_name=name, error="no token in the event")
    token: str = payload["token"]
    register_secret(token)
    if name == IncomingCancelled.NAME:
        return IncomingCancelled(event_id=event_id, raw=None, token=token)
    alias = payload.get("conference_alias")
    if not isinstance(alias, str) or not alias:
        return MalformedEvent(event_id=event_id, raw=None, wire_name=name, error="no conference_alias")
    caller = payload.get("remote_display_name")
    return IncomingCall(
        event_id=event_id,
        raw=None,  # the token is in there; nobody needs the rest twice
        conference_alias=alias,
        remote_display_name=caller if isinstance(caller, str) else "",
        token=token,
    )


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    alias: str
    description: str = ""
    username: str = ""


# --- the registration ------------------------------------------------------------------------


class Registration:
    """Keep ``alias`` registered on ``node_url``; deliver ``incoming`` offers to subscribers.

    ``start()`` runs the keep-alive loop in a task; ``close()`` stops it and
    releases the token. ``sleep`` and ``clock`` are injected so the backoff
    between registration attempts can be tested without waiting; the
    refresh cadence and the event stream's reconnects use real time.
    """

    def __init__(
        self,
        node_url: str,
        alias: str,
        credentials: RegistrationCredentials,
        *,
        http: aiohttp.ClientSession | None = None,
        options: ClientOptions | None = None,
        policy: RegistrationPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options or ClientOptions()
        self.policy = policy or RegistrationPolicy()
        self._credentials = credentials
        self._transport = RegistrationTransport(node_url, alias, http=http, options=self.options)
        self._log = get_logger("appliance.infinity.registration", alias=alias)
        self._sleep = sleep
        self._clock = clock
        self.grant: RegistrationGrant | None = None
        self.failure: InfinityError | None = None
        self.failures = 0
        self._expires = 120.0
        self._token_time = 0.0
        self._subscribers: list[Callable[[Event], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._up = asyncio.Event()

    def __repr__(self) -> str:
        return f"Registration({self.node_url!r}, {self.alias!r}, registered={self.registered})"

    # --- views -------------------------------------------------------------------------

    @property
    def alias(self) -> str:
        return self._transport.alias

    @property
    def node_url(self) -> str:
        return self._transport.node_url

    @property
    def registered(self) -> bool:
        return self._transport.token is not None

    @property
    def token(self) -> str | None:
        """The registration token, sent as ``registration_token`` when answering a call."""
        return self._transport.token

    # --- subscriptions -----------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def events(self) -> AsyncIterator[Event]:
        """Events from now on; a reader that falls behind loses the oldest."""
        return newest_items(self.subscribe, self.options.event_queue_size)

    def _deliver(self, event: Event) -> None:
        if isinstance(event, MalformedEvent):
            self._log.warning("malformed %s event skipped: %s", event.wire_name, event.error)
            return
        if isinstance(event, IncomingCall):
            self._log.info("incoming call from %r to %r", event.remote_display_name, event.conference_alias)
        elif isinstance(event, IncomingCancelled):
            self._log.info("incoming call cancelled")
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                self._log.exception("registration subscriber failed on %s", type(event).__name__)

    # --- one-shot operations -----------------------------------------------------------

    async def register(self) -> RegistrationGrant:
        """One ``request_token`` for the alias; raises :class:`InvalidCredentials` and the like."""
        status, raw = await self._transport.send(
            "POST",
            "request_token",
            operation=REGISTER,
            headers={"Authorization": self._credentials.authorization()},
            auth=False,
            time_limit=self.options.request_timeout,
        )
        if status != 200:
            raise refusal(status, raw, self.alias)
        grant, token = parse_grant(decode_response(REGISTER, status, raw))
        self._replace_token(token)
        self.grant = grant
        self.failure = None
        self._expires = grant.expires
        self._token_time = self._clock()
        self._log.info("registered, token valid %.0f s", grant.expires)
        return grant

    def _replace_token(self, token: str | None) -> None:
        forget_secret(self._transport.token)
        self._transport.token = token

    async def refresh(self) -> None:
        """Exchange the registration token for a new one now (normally automatic)."""
        if self._transport.token is None:
            raise SessionClosed(KEEP, "the device is not registered")
        result = await self._transport.request("POST", "refresh_token", operation=KEEP, retry=False)
        result, token = token_object(result, KEEP)
        self._expires = token_lifetime(result, KEEP)
        self._replace_token(token)
        self._token_time = self._clock()
        self._log.debug("registration refreshed, valid %.0f s", self._expires)

    async def release(self) -> bool:
        """Unregister. A dead token or a lost node is not an error here."""
        if self._transport.token is None:
            return False
        try:
            result = await self._transport.request("POST", "release_token", operation=RELEASE, retry=False)
        except InfinityError as exc:
            self._log.info("registration release not confirmed: %s", exc)
            result = False
        finally:
            self._replace_token(None)
            self._up.clear()
        return result is True

    async def search(self, query: str) -> tuple[DirectoryEntry, ...]:
        """``GET registrations?q=``: registered devices whose alias or name matches ``query``."""
        if self._transport.token is None:
            raise SessionClosed(DIRECTORY, "the device is not registered")
        result = await self._transport.request(
            "GET", DIRECTORY_PATH, operation=DIRECTORY, params={"q": query}
        )
        if not isinstance(result, list):
            raise ProtocolError(DIRECTORY, f"expected a list, found {type(result).__name__}")
        return tuple(
            DirectoryEntry(
                alias=str(entry["alias"]),
                description=str(entry.get("description") or ""),
                username=str(entry.get("username") or ""),
            )
            for entry in result
            if isinstance(entry, Mapping) and isinstance(entry.get("alias"), str)
        )

    # --- keeping it alive --------------------------------------------------------------

    def start(self) -> None:
        """Register and stay registered in the background until :meth:`close`."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="infinity-registration")

    async def wait_registered(self, limit: float) -> RegistrationGrant:
        """Until the alias is registered; ``TimeoutError`` names the last failure."""
        try:
            async with asyncio.timeout(limit):
                await self._up.wait()
        except TimeoutError:
            why = f": {self.failure}" if self.failure else ""
            raise TimeoutError(f"{self.alias!r} not registered within {limit:g} s{why}") from None
        assert self.grant is not None
        return self.grant

    async def close(self) -> None:
        await cancel_and_wait((self._task,))
        self._task = None
        try:
            await self.release()
        finally:
            await self._transport.close()

    async def _run(self) -> None:
        while True:
            try:
                grant = await self.register()
            except InfinityError as exc:
                self.failures += 1
                await self._wait_after(exc)
                continue
            self.failures = 0
            self._up.set()
            self._deliver(Registered(grant=grant))
            lost = await self._hold()
            self._replace_token(None)
            self._up.clear()
            self.failure = lost
            self._log.warning("registration lost (%s); registering again", lost)
            self._deliver(RegistrationLost(error=lost, retry_in=0.0))

    async def _wait_after(self, error: InfinityError) -> None:
        delay = self.policy.delay(error, self.failures)
        self.failure = error
        if isinstance(error, InvalidCredentials):
            self._log.error("%s; next attempt in %.0f s", error, delay)
        else:
            self._log.warning(
                "registration failed (%s); attempt %d in %.1f s", error, self.failures + 1, delay
            )
        self._deliver(RegistrationLost(error=error, retry_in=delay))
        await self._sleep(delay)

    async def _hold(self) -> InfinityError:
        """Refresh and listen until either fails; returns why the registration is gone."""
        stream = EventStream(self._transport, self._deliver, parse=parse_registration_event, operation=EVENTS)
        tasks = {
            asyncio.create_task(stream.run(), name="registration-events"),
            asyncio.create_task(self._refresh_loop(), name="registration-refresh"),
        }
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await cancel_and_wait(tasks)
        error = next(iter(done)).exception()
        if isinstance(error, InfinityError):
            return error
        if error is not None:
            raise error
        return EventStreamLost(EVENTS, "the registration ended")

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self._expires * self.options.refresh_fraction)
            await refresh_before_expiry(
                self.refresh,
                deadline=self._token_time + self._expires,
                backoff=self.options.refresh_retry,
                clock=self._clock,
                operation=KEEP,
                what="registration",
                log=self._log,
            )
