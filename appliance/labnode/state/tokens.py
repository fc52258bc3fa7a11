"""Tokens: participant session tokens and the one-time tokens of transfers and SSO.

Infinity's tokens are short-lived and replaced on every refresh, and a
client that stops refreshing loses its place. This store reproduces that:
:meth:`TokenStore.refresh` returns a *new* token and kills the old one, and
:meth:`TokenStore.lapsed` lists the participants whose current token ran
out so the node can reap them.

Every token is URL-safe (``secrets.token_urlsafe``): PexRTC and
``@pexip/infinity`` put tokens into URLs unencoded. Time comes from an
injected clock so expiry can be reasoned about without sleeping.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from appliance.infinity.models import Role
from appliance.log import forget_secret, register_secret

Clock = Callable[[], float]


@dataclass(slots=True)
class Token:
    value: str
    participant_uuid: str
    # Aliases this token may address: the conference's own aliases plus the
    # Virtual Reception alias the participant joined through.
    aliases: frozenset[str]
    expires_at: float


@dataclass(frozen=True, slots=True)
class Grant:
    """What a one-time token (``refer`` transfer or SSO login) entitles to."""

    alias: str
    role: Role
    display_name: str = ""
    idp_uuid: str = ""
    # One-time tokens die if not redeemed in time, as Infinity's do.
    expires_at: float = field(default=0.0)


def new_token() -> str:
    value = secrets.token_urlsafe(32)
    register_secret(value)
    return value


class TokenStore:
    """Session tokens by value, one current token per participant."""

    def __init__(self, lifetime: float, *, clock: Clock = time.monotonic) -> None:
        if lifetime <= 0:
            raise ValueError(f"token lifetime: expected seconds > 0, found {lifetime!r}")
        self.lifetime = lifetime
        self._clock = clock
        self._tokens: dict[str, Token] = {}
        self._current: dict[str, Token] = {}
        self._grants: dict[str, Grant] = {}

    def issue(self, participant_uuid: str, aliases: frozenset[str]) -> Token:
        token = Token(new_token(), participant_uuid, aliases, self._clock() + self.lifetime)
        self._tokens[token.value] = token
        self._current[participant_uuid] = token
        return token

    def lookup(self, value: str | None) -> Token | None:
        """The live token, or ``None`` when unknown, released, replaced or expired."""
        if not value:
            return None
        token = self._tokens.get(value)
        if token is None or token.expires_at <= self._clock():
            return None
        return token

    def refresh(self, token: Token) -> Token:
        """Replace ``token``: the new one is returned, the old one stops working now."""
        self._drop(token)
        fresh = Token(new_token(), token.participant_uuid, token.aliases, self._clock() + self.lifetime)
        self._tokens[fresh.value] = fresh
        self._current[fresh.participant_uuid] = fresh
        return fresh

    def revoke_participant(self, participant_uuid: str) -> None:
        token = self._current.pop(participant_uuid, None)
        if token is not None:
            self._drop(token)

    def expire_participant(self, participant_uuid: str) -> bool:
        """Make the participant's token lapse now (fault injection); the reaper does the rest."""
        token = self._current.get(participant_uuid)
        if token is None:
            return False
        token.expires_at = self._clock()
        return True

    def current(self, participant_uuid: str) -> Token | None:
        return self._current.get(participant_uuid)

    def lapsed(self) -> list[str]:
        """Participants whose current token expired without a refresh."""
        now = self._clock()
        return [uuid for uuid, token in self._current.items() if token.expires_at <= now]

    def grant(self, grant: Grant, *, lifetime: float = 120.0) -> str:
        """Issue a one-time token for ``grant``; it can be redeemed once."""
        now = self._clock()
        for stale in [v for v, g in self._grants.items() if g.expires_at <= now]:
            del self._grants[stale]
            forget_secret(stale)
        value = new_token()
        self._grants[value] = Grant(
            alias=grant.alias,
            role=grant.role,
            display_name=grant.display_name,
            idp_uuid=grant.idp_uuid,
            expires_at=self._clock() + lifetime,
        )
        return value

    def redeem(self, value: str) -> Grant | None:
        grant = self._grants.pop(value, None)
        if grant is None:
            return None
        forget_secret(value)
        if grant.expires_at <= self._clock():
            return None
        return grant

    def clear(self) -> None:
        for value in list(self._tokens) + list(self._grants):
            forget_secret(value)
        self._tokens.clear()
        self._current.clear()
        self._grants.clear()

    def _drop(self, token: Token) -> None:
        self._tokens.pop(token.value, None)
        if self._current.get(token.participant_uuid) is token:
            del self._current[token.participant_uuid]
        forget_secret(token.value)
