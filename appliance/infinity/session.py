"""One participant's session in one conference: token lifecycle and wiring.

The token is the participant: if it is not refreshed in time the node
drops the participant, and if it is released the participant leaves. So
this object owns it end to end: it is requested (with the PIN, extension,
identity provider or one-time token the user supplied), refreshed every
``expires/3`` (and at once when the node sends ``refresh_token``), retried
with backoff until the old token would expire, and released on close.
The event stream, the state model and the control/call objects all hang
off the session so that upper layers hold one object per conference.

``request_token`` is never retried automatically (as PexRTC): a lost
answer may have created a participant already, and a retry would leave a
ghost in the roster.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any

import aiohttp

from appliance.aio import cancel_and_wait, newest_items
from appliance.infinity.calls import CallControl
from appliance.infinity.control import ConferenceControl
from appliance.infinity.errors import (
    EventStreamLost,
    InfinityError,
    InvalidToken,
    SessionClosed,
)
from appliance.infinity.events import (
    ConferenceUpdate,
    Disconnect,
    Event,
    RefreshTokenRequested,
    SessionFailed,
    StreamConnected,
)
from appliance.infinity.http import Transport
from appliance.infinity.keepalive import refresh_before_expiry
from appliance.infinity.models import Role
from appliance.infinity.options import ClientOptions
from appliance.infinity.scope import Scope
from appliance.infinity.state import ConferenceState
from appliance.infinity.stream import EventStream
from appliance.infinity.tokens import (
    JOIN,
    REFRESH,
    ExtensionRequired,
    IdentityProvider,
    IdentityProviderRequired,
    JoinOutcome,
    PinRequired,
    RefreshResult,
    SsoRedirectRequired,
    TokenGrant,
    interpret_request_token,
    parse_refresh,
)
from appliance.log import get_logger, register_secret

# The join outcomes are re-exported: callers think of them as the session's answers.
__all__ = [
    "ExtensionRequired",
    "IdentityProvider",
    "IdentityProviderRequired",
    "InfinitySession",
    "JoinOutcome",
    "PinRequired",
    "RefreshResult",
    "SsoRedirectRequired",
    "TokenGrant",
]


class InfinitySession:
    """``async with InfinitySession(node_url, alias) as s: await s.join("Room")``."""

    def __init__(
        self,
        node_url: str,
        alias: str,
        *,
        http: aiohttp.ClientSession | None = None,
        options: ClientOptions | None = None,
    ) -> None:
        self.options = options or ClientOptions()
        self._transport = Transport(node_url, alias, http=http, options=self.options)
        self._log = get_logger("appliance.infinity.session", conference=alias)
        self.state = ConferenceState()
        self.grant: TokenGrant | None = None
        self.failure: InfinityError | None = None
        self.disconnect_reason: str | None = None
        scope = Scope(
            transport=self._transport,
            own_uuid=lambda: self.participant_uuid,
            own_role=lambda: self.state.role,
        )
        self.control = ConferenceControl(scope)
        self.calls = CallControl(scope)
        self._expires = 120.0
        self._token_time = 0.0
        self._refresh_now = asyncio.Event()
        self._refresh_task: asyncio.Task[None] | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._stream: EventStream | None = None
        self._status_task: asyncio.Task[None] | None = None
        # conference_update events seen on the stream, to know whether a status
        # read that was in flight meanwhile is already stale.
        self._status_updates = 0

    def __repr__(self) -> str:
        return (
            f"InfinitySession({self._transport.node_url!r}, {self._transport.alias!r}, joined={self.joined})"
        )

    async def __aenter__(self) -> InfinitySession:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- read-only views -------------------------------------------------------

    @property
    def alias(self) -> str:
        return self._transport.alias

    @property
    def node_url(self) -> str:
        return self._transport.node_url

    @property
    def participant_uuid(self) -> str | None:
        return self.grant.participant_uuid if self.grant else None

    @property
    def role(self) -> Role | None:
        return self.state.role

    @property
    def joined(self) -> bool:
        return self._transport.token is not None

    @property
    def token(self) -> str | None:
        """The current token, for URLs that need ``?token=`` (presentation.jpeg, theme images).

        Callers must not log the URL: the token is registered as a secret,
        but a URL is easy to log by accident.
        """
        return self._transport.token

    # --- subscriptions --------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        return self.state.subscribe(callback)

    def events(self) -> AsyncIterator[Event]:
        """Delivered events as an async iterator; subscribed from this call on.

        Holds at most ``options.event_queue_size`` events: a consumer that
        stops reading loses the oldest, never blocks the stream.
        """
        return newest_items(self.subscribe, self.options.event_queue_size)

    # --- token lifecycle ---------------------------------------------------------------

    async def request_token(
        self,
        display_name: str,
        *,
        pin: str | None = None,
        conference_extension: str | None = None,
        chosen_idp: str | None = None,
        sso_token: str | None = None,
        one_time_token: str | None = None,
        registration_token: str | None = None,
        call_tag: str | None = None,
        client_id: str = "appliance",
        direct_media: bool = False,
        supports_direct_chat: bool = True,
        breakout_capable: bool = False,
        node: str | None = None,
        sso_redirect_target: str | None = None,
    ) -> JoinOutcome:
        """Ask to join. Challenges are returned; failures raise (see ``tokens.py``)."""
        for secret in (pin, sso_token, one_time_token, registration_token):
            register_secret(secret)
        if self._transport.token is not None:
            raise SessionClosed(JOIN, "this session already holds a token; release it or use a new session")
        headers: dict[str, str] = {}
        if pin is not None:
            headers["pin"] = pin.strip() or "none"
        body: dict[str, Any] = {
            "display_name": display_name,
            "client_id": client_id,
            "direct_media": direct_media,
            "supports_direct_chat": supports_direct_chat,
        }
        if breakout_capable:
            # Claimed only by a caller that follows breakout_begin / breakout_refer:
            # a Host moving an unaware participant into a breakout would strand it.
            body["breakout_capable"] = body["breakout_rooms"] = True
        optional = {
            "conference_extension": conference_extension,
            "chosen_idp": chosen_idp,
            "sso_token": sso_token,
            "token": one_time_token,
            "registration_token": registration_token,
            "call_tag": call_tag,
            "node": node,
            "sso_redirect_target": sso_redirect_target,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        status, raw = await self._transport.send(
            "POST",
            "request_token",
            operation=JOIN,
            body=body,
            headers=headers,
            auth=False,
            time_limit=self.options.request_token_timeout,
        )
        outcome, token = interpret_request_token(
            status, raw, pin_sent=pin is not None, extension_sent=conference_extension is not None
        )
        if isinstance(outcome, TokenGrant) and token is not None:
            self._accept_grant(outcome, token)
        else:
            self._log.info("join needs more from the user: %s", type(outcome).__name__)
        return outcome

    def _accept_grant(self, grant: TokenGrant, token: str) -> None:
        self._transport.token = token
        self.grant = grant
        self.failure = None
        self._expires = grant.expires
        self._token_time = time.monotonic()
        self.state.publish(
            self.state.set_identity(grant.participant_uuid, grant.role, grant.current_service_type)
        )
        self._log.info(
            "joined as %s (%s), token valid %.0f s", grant.participant_uuid, grant.role, grant.expires
        )
        if self._refresh_task is None or self._refresh_task.done():
            self._refresh_task = asyncio.create_task(self._refresh_loop(), name="infinity-refresh")

    async def refresh_token(self) -> RefreshResult:
        """Exchange the token for a new one now (normally automatic)."""
        if self._transport.token is None:
            raise SessionClosed(REFRESH, "not joined to the conference (no valid token)")
        result = await self._transport.request("POST", "refresh_token", operation=REFRESH, retry=False)
        refreshed, token = parse_refresh(result)
        self._transport.token = token
        self._expires = refreshed.expires
        self._token_time = time.monotonic()
        self._log.debug("token refreshed, valid %.0f s", refreshed.expires)
        if refreshed.role is not None:
            self.state.publish(self.state.set_role(refreshed.role))
        return refreshed

    async def _refresh_loop(self) -> None:
        while self._transport.token is not None:
            interval = self._expires * self.options.refresh_fraction
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._refresh_now.wait()
            self._refresh_now.clear()
            if self._transport.token is None:
                return
            try:
                await self._refresh_until_expiry()
            except InfinityError as exc:
                self._fail(exc)
                return

    async def _refresh_until_expiry(self) -> None:
        with contextlib.suppress(SessionClosed):  # released meanwhile: nothing left to keep alive
            await refresh_before_expiry(
                self.refresh_token,
                deadline=self._token_time + self._expires,
                backoff=self.options.refresh_retry,
                clock=time.monotonic,
                operation=REFRESH,
                what="token",
                log=self._log,
                give_up_on=(SessionClosed,),
            )

    async def release_token(self, reason: str | None = None, error: str | None = None) -> bool:
        """Leave. Returns the node's answer; a dead token or a lost node is not an error here."""
        self._stop_refresh()
        if self._transport.token is None:
            return False
        body: dict[str, str] = {}
        if reason is not None:
            body["reason"] = reason
        if error is not None:
            body["error"] = error
        try:
            result = await self._transport.request(
                "POST", "release_token", operation="leave the conference", body=body, retry=False
            )
        except InfinityError as exc:
            self._log.info("release_token not confirmed: %s", exc)
            result = False
        finally:
            self._transport.token = None
        return result is True

    # --- event stream -------------------------------------------------------------------

    async def start_events(self) -> None:
        """Read the conference status, open the event stream, wait for the roster."""
        if self._transport.token is None:
            raise SessionClosed("receive conference events", "not joined to the conference (no valid token)")
        if self._stream_task is not None and not self._stream_task.done():
            return
        try:
            status = await self.control.conference_status()
            self.state.feed(ConferenceUpdate(status=status))
        except (InvalidToken, SessionClosed):
            raise
        except InfinityError as exc:
            # The stream's conference_update will still tell us; a node without
            # this endpoint must not stop the join.
            self._log.warning("conference status not read: %s", exc)
        self._stream = EventStream(self._transport, self._on_stream_event)
        task = asyncio.create_task(self._stream.run(), name="infinity-events")
        self._stream_task = task
        task.add_done_callback(self._stream_ended)
        waiter = asyncio.ensure_future(self.state.wait_synced(self.options.sync_timeout))
        try:
            await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not waiter.done():
                waiter.cancel()
        if waiter.done() and not waiter.cancelled():
            if waiter.exception() is None:
                return
            task.cancel()
            raise EventStreamLost(
                "receive conference events",
                f"the node sent no participant list within {self.options.sync_timeout:.0f} s",
            )
        error = None if task.cancelled() else task.exception()
        if isinstance(error, InfinityError):
            raise error
        why = f"the node disconnected us ({self.disconnect_reason})" if self.disconnect_reason else "closed"
        raise SessionClosed("receive conference events", f"the session ended while joining: {why}")

    async def join(self, display_name: str, **kwargs: Any) -> JoinOutcome:
        """``request_token`` then, if granted, ``start_events``."""
        outcome = await self.request_token(display_name, **kwargs)
        if isinstance(outcome, TokenGrant):
            await self.start_events()
        return outcome

    def _on_stream_event(self, event: Event) -> None:
        if isinstance(event, ConferenceUpdate):
            self._status_updates += 1
        self.state.feed(event)
        if isinstance(event, StreamConnected) and event.attempt > 0:
            self._reread_status()
        elif isinstance(event, RefreshTokenRequested):
            self._refresh_now.set()
        elif isinstance(event, Disconnect):
            self.disconnect_reason = event.reason
            self._log.info("the node disconnected us: %s", event.reason)
            self._transport.token = None
            self._stop_refresh()
            if self._stream_task is not None:
                self._stream_task.cancel()

    def _reread_status(self) -> None:
        """After a reconnect, read the conference flags again.

        The reference leaves open whether a node replays ``conference_update``
        on a new stream (§6), so a lock or mute-all that happened while we were
        away would otherwise stay unknown until the next change.
        """
        if self._status_task is not None and not self._status_task.done():
            # Asked before this reconnect: it may miss what changed during the outage.
            self._status_task.cancel()
        self._status_task = asyncio.create_task(
            self._read_status_after_reconnect(self._status_updates), name="infinity-status"
        )

    async def _read_status_after_reconnect(self, seen: int) -> None:
        try:
            status = await self.control.conference_status()
        except InfinityError as exc:
            self._log.warning("conference status not re-read after reconnect: %s", exc)
            return
        if self._status_updates != seen:
            # The stream sent a conference_update while we asked: it is at least as new.
            return
        self.state.feed(ConferenceUpdate(status=status))

    def _stream_ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, InfinityError):
            self._fail(exc)
        elif exc is not None:
            self._log.error("event stream crashed: %r", exc)
            self._fail(EventStreamLost("receive conference events", f"internal error: {type(exc).__name__}"))

    def leave_quickly(self) -> None:
        """From now on every request is tried once, within ``options.leave_timeout``.

        For the tidy-up after a failure: hanging up and releasing the token
        are courtesies to a node that may be gone, and must not hold up the
        application (docs/infinity-client.md, "Retries").
        """
        self._transport.leaving = True

    def _fail(self, error: InfinityError) -> None:
        if self.failure is not None:
            return
        self.leave_quickly()
        self.failure = error
        self._log.error("session failed: %s", error)
        self.state.publish([SessionFailed(error=error)])

    # --- teardown ---------------------------------------------------------------------------

    def _stop_refresh(self) -> None:
        task = self._refresh_task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()

    async def close(self, reason: str | None = None) -> None:
        """Stop the stream and refresh, release the token, close an owned HTTP session."""
        self.leave_quickly()
        await cancel_and_wait((self._stream_task, self._refresh_task, self._status_task))
        try:
            await self.release_token(reason=reason)
        finally:
            await self._transport.close()
