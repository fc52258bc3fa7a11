"""Where an operation goes and who may send it: path prefix, own uuid, own role.

Control and call operations both need "the path of this participant, inside
this breakout if we are in one" and "are we Host?"; keeping that here lets
:meth:`for_breakout` re-aim every operation at ``breakouts/{b}/`` (PexRTC
prefixes every conference-control path once inside a breakout) without
duplicating the operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.infinity.errors import NotHost, SessionClosed
from appliance.infinity.http import Transport, segment
from appliance.infinity.models import Role


@dataclass(frozen=True, slots=True)
class Scope:
    transport: Transport
    # Read at call time: a refresh may change the role, a breakout the uuid.
    own_uuid: Callable[[], str | None]
    own_role: Callable[[], Role | None]
    breakout_uuid: str | None = None
    breakout_participant_uuid: str | None = None

    def for_breakout(self, breakout_uuid: str, participant_uuid: str) -> Scope:
        return Scope(
            transport=self.transport,
            own_uuid=self.own_uuid,
            own_role=self.own_role,
            breakout_uuid=breakout_uuid,
            breakout_participant_uuid=participant_uuid,
        )

    def path(self, relative: str) -> str:
        if self.breakout_uuid is None:
            return relative
        return f"breakouts/{segment(self.breakout_uuid)}/{relative}"

    def me(self, operation: str) -> str:
        """Own participant uuid in this scope; SessionClosed before joining."""
        if self.breakout_participant_uuid:
            return self.breakout_participant_uuid
        uuid = self.own_uuid()
        if not uuid or self.transport.token is None:
            raise SessionClosed(operation, "not joined to the conference (no valid token)")
        return uuid

    def participant_path(self, uuid: str | None, relative: str, operation: str) -> str:
        target = uuid if uuid is not None else self.me(operation)
        return self.path(f"participants/{segment(target)}/{relative}")

    def is_self(self, uuid: str | None, operation: str) -> bool:
        return uuid is None or uuid == self.me(operation)

    def require_host(self, operation: str) -> None:
        """Fail locally, before any request, when our role is Guest."""
        self.require_token(operation)
        if self.own_role() is Role.GUEST:
            raise NotHost(operation, "this needs Host rights and this participant is a Guest")

    def require_token(self, operation: str) -> None:
        if self.transport.token is None:
            raise SessionClosed(operation, "not joined to the conference (no valid token)")

    async def post(self, path: str, operation: str, body: Any = None) -> Any:
        self.require_token(operation)
        if body is None:
            return await self.transport.request("POST", path, operation=operation)
        return await self.transport.request("POST", path, operation=operation, body=body)

    async def get(self, path: str, operation: str, params: dict[str, str] | None = None) -> Any:
        self.require_token(operation)
        return await self.transport.request("GET", path, operation=operation, params=params)
