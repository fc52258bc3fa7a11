"""TokenStore: replacement on refresh, expiry by an injected clock, one-time grants."""

from __future__ import annotations

from appliance.infinity.models import Role
from appliance.labnode.state.tokens import Grant, TokenStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_store_lookup_finds_live_token() -> None:
    store = TokenStore(120, clock=Clock())
    token = store.issue("p1", frozenset({"meet"}))
    assert store.lookup(token.value) is token


def test_token_store_refresh_kills_old_token() -> None:
    store = TokenStore(120, clock=Clock())
    old = store.issue("p1", frozenset({"meet"}))
    new = store.refresh(old)
    assert store.lookup(old.value) is None
    assert store.lookup(new.value) is new


def test_token_store_expired_token_is_not_found() -> None:
    clock = Clock()
    store = TokenStore(120, clock=clock)
    token = store.issue("p1", frozenset({"meet"}))
    clock.now += 120
    assert store.lookup(token.value) is None


def test_token_store_lapsed_lists_unrefreshed_participants() -> None:
    clock = Clock()
    store = TokenStore(120, clock=clock)
    store.issue("quiet", frozenset({"meet"}))
    clock.now += 60
    store.refresh(store.issue("busy", frozenset({"meet"})))
    clock.now += 61
    assert store.lapsed() == ["quiet"]


def test_token_store_grant_redeems_once() -> None:
    store = TokenStore(120, clock=Clock())
    value = store.grant(Grant(alias="meet", role=Role.GUEST))
    assert store.redeem(value) is not None
    assert store.redeem(value) is None


def test_token_store_grant_expires() -> None:
    clock = Clock()
    store = TokenStore(120, clock=clock)
    value = store.grant(Grant(alias="meet", role=Role.GUEST), lifetime=10)
    clock.now += 11
    assert store.redeem(value) is None
