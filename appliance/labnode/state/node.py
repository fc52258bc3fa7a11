"""The node's whole state: rooms, their conferences, tokens and background work.

One :class:`NodeState` per running node. Routes find conferences and
authenticate requests through it; :mod:`appliance.labnode.state.control` drives
its fault injection; :meth:`restart` drops everything a real node restart
would lose. All of it runs on the node's event loop: the token reaper and
the simulated dial-outs are tasks held here and cancelled on close.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

from appliance.labnode.state.conference import HubFactory, NodeConference
from appliance.labnode.state.dialout import DEFAULT_ANSWER_DELAY, DEFAULT_TIMEOUT, DialPlan
from appliance.labnode.state.refusals import HOST_REQUIRED, INVALID_TOKEN, NOT_FOUND, ApiError
from appliance.labnode.state.registrar import DeviceConfig, Registrar
from appliance.labnode.state.rooms import RoomConfig, builtin_rooms
from appliance.labnode.state.roster import Member
from appliance.labnode.state.tokens import Token, TokenStore
from appliance.log import get_logger

_log = get_logger(__name__)

LAPSED_REASON: Final = "Timer expired awaiting token refresh"
VERSION: Final = {"version_id": "36", "pseudo_version": "36.0.0-labnode"}


@dataclass(frozen=True, slots=True)
class NodeSettings:
    token_lifetime: float = 120.0
    bots: int = 0
    dial_answer_delay: float = DEFAULT_ANSWER_DELAY
    dial_timeout: float = DEFAULT_TIMEOUT

    @property
    def dial_plan(self) -> DialPlan:
        return DialPlan(answer_delay=self.dial_answer_delay, timeout=self.dial_timeout)


class NodeState:
    def __init__(
        self,
        rooms: Sequence[RoomConfig] | None,
        settings: NodeSettings,
        *,
        hub_factory: HubFactory | None = None,
        media_unavailable: str = "",
        devices: Sequence[DeviceConfig] | None = None,
    ) -> None:
        self.rooms: tuple[RoomConfig, ...] = tuple(rooms) if rooms else builtin_rooms()
        # Registrable device aliases (reference §3.8); None = the built-in room-1.
        self.registrar = Registrar(devices, settings.token_lifetime)
        self.settings = settings
        self.hub_factory = hub_factory
        # Why calls are refused when there is no media (said in the 503 body).
        self.media_unavailable = media_unavailable
        self.tokens = TokenStore(settings.token_lifetime)
        self.conferences: dict[str, NodeConference] = {}
        self._index: dict[str, NodeConference] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reaper: asyncio.Task[None] | None = None
        # fault injection (control.refuse_tokens): request/refresh_token answer 503 until then
        self.tokens_refused_until = 0.0
        # fault injection (control.hold_calls): new media calls are answered only then
        self.calls_held_until = 0.0

    def check_tokens_accepted(self) -> None:
        """Raise the 503 a node gives while it cannot hand out tokens (control.refuse_tokens)."""
        if time.monotonic() < self.tokens_refused_until:
            raise ApiError(503, "Service unavailable: the node is not accepting new sessions")

    async def hold_new_calls(self) -> None:
        """Wait while new media calls are held (control.hold_calls): a media node slow to take them."""
        wait = self.calls_held_until - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        self._build()
        self._reaper = asyncio.get_running_loop().create_task(self._reap_forever(), name="labnode-reaper")

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            await asyncio.gather(self._reaper, return_exceptions=True)
            self._reaper = None
        await self._drop_everything()

    async def restart(self) -> None:
        """Forget every participant, token, stream and call, as a rebooted node would."""
        await self._drop_everything()
        self._build()
        _log.info("node restarted; all state dropped")

    async def _drop_everything(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        for conference in self.conferences.values():
            await conference.close()
        self.conferences.clear()
        self._index.clear()
        self.tokens.clear()
        self.registrar.clear()

    def _build(self) -> None:
        for room in self.rooms:
            conference = NodeConference(room, hub_factory=self.hub_factory)
            self.conferences[room.alias] = conference
            for alias in room.all_aliases:
                self._index[alias.lower()] = conference
            # Node-wide bots fill the meeting rooms, not the reception or
            # the SSO room, whose point is the admission path; not the
            # direct-media room (a third party breaks its two-party call and
            # its welcome splash); not a room where Guests wait for a Host
            # (bots are Guests and would sit there before any Host came).
            plain_vmr = not (
                room.reception or room.identity_providers or room.direct_media or room.wait_for_host
            )
            for n in range(room.bots or (self.settings.bots if plain_vmr else 0)):
                conference.add_bot(f"Bot {n + 1}")

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    # --- lookup and authentication ------------------------------------------------

    def find(self, alias: str) -> NodeConference | None:
        return self._index.get(alias.strip().lower())

    def conference(self, alias: str) -> NodeConference:
        found = self.find(alias)
        if found is None:
            raise ApiError(404, NOT_FOUND)
        return found

    def aliases_of(self, conference: NodeConference, via: str | None = None) -> frozenset[str]:
        names = {a.lower() for a in conference.room.all_aliases}
        if via:
            names.add(via.strip().lower())
        return frozenset(names)

    @staticmethod
    def require_host(member: Member) -> None:
        if not member.is_host:
            raise ApiError(403, HOST_REQUIRED)

    def member_of(self, participant_uuid: str) -> tuple[NodeConference, Member] | None:
        for conference in self.conferences.values():
            member = conference.members.get(participant_uuid)
            if member is not None and not member.gone:
                return conference, member
        return None

    def authenticate(self, request: web.Request) -> tuple[NodeConference, Member, Token]:
        """The conference, participant and token a request acts as; 404/403 otherwise.

        The token may come as the ``token`` header or ``?token=`` (beacons,
        event streams and JPEG URLs cannot set headers). A participant who
        joined through a Virtual Reception keeps using the reception alias
        (``@pexip/infinity`` does), so that alias is accepted for its token.
        """
        alias = request.match_info.get("alias", "")
        if self.find(alias) is None:
            raise ApiError(404, NOT_FOUND)
        value = request.headers.get("token") or request.query.get("token")
        token = self.tokens.lookup(value)
        if token is None or alias.strip().lower() not in token.aliases:
            raise ApiError(403, INVALID_TOKEN)
        found = self.member_of(token.participant_uuid)
        if found is None:
            raise ApiError(403, INVALID_TOKEN)
        conference, member = found
        return conference, member, token

    # --- leaving -----------------------------------------------------------------

    def release(self, conference: NodeConference, member: Member, reason: str | None = None) -> None:
        self.tokens.revoke_participant(member.uuid)
        conference.remove(member.uuid, reason)

    def disconnect_all(self, conference: NodeConference) -> None:
        for member in list(conference.members.values()):
            self.tokens.revoke_participant(member.uuid)
        conference.disconnect_all()

    def kick(self, participant_uuid: str, reason: str) -> bool:
        found = self.member_of(participant_uuid)
        if found is None:
            return False
        self.release(found[0], found[1], reason)
        return True

    def reap(self) -> list[str]:
        """Remove participants whose token lapsed; returns their uuids."""
        reaped = []
        for participant_uuid in self.tokens.lapsed():
            self.tokens.revoke_participant(participant_uuid)
            found = self.member_of(participant_uuid)
            if found is not None:
                found[0].remove(participant_uuid, LAPSED_REASON)
                reaped.append(participant_uuid)
        return reaped

    async def _reap_forever(self) -> None:
        interval = max(0.05, min(1.0, self.settings.token_lifetime / 10))
        while True:
            await asyncio.sleep(interval)
            for participant_uuid in self.reap():
                _log.info("participant reaped: token lapsed", extra={"context": {"uuid": participant_uuid}})
            for alias in self.registrar.reap():
                _log.info("registration reaped: token lapsed", extra={"context": {"alias": alias}})


STATE: Final = web.AppKey("labnode_state", NodeState)
