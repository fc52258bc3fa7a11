"""Device registration (reference §3.8): register, stay registered, hear incoming calls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from appliance import log
from appliance.backoff import Backoff
from appliance.infinity import ClientOptions, InvalidCredentials
from appliance.infinity.events import Event, MalformedEvent, UnknownEvent
from appliance.infinity.registration import (
    IncomingCall,
    IncomingCancelled,
    Registered,
    Registration,
    RegistrationCredentials,
    RegistrationLost,
    RegistrationPolicy,
    parse_registration_event,
)
from tests.support.scripted_registrar import ScriptedRegistrar
from tests.support.waiting import eventually

PASSWORD = "s3cret-pass"


@pytest.fixture
async def registrar() -> AsyncIterator[ScriptedRegistrar]:
    async with ScriptedRegistrar(password=PASSWORD) as scripted:
        yield scripted


def registration(
    registrar: ScriptedRegistrar, fast: ClientOptions, password: str = PASSWORD, **kwargs: object
) -> Registration:
    credentials = RegistrationCredentials("room-1", password)
    return Registration(registrar.url, "room-1", credentials, options=fast, **kwargs)  # type: ignore[arg-type]


async def next_of(events: AsyncIterator[Event], kind: type[Event], limit: float = 5.0) -> Event:
    async with asyncio.timeout(limit):
        async for event in events:
            if isinstance(event, kind):
                return event
    raise AssertionError("event stream ended")


async def test_registration_register_sends_base64url_credentials(
    registrar: ScriptedRegistrar, fast: ClientOptions
) -> None:
    reg = registration(registrar, fast)
    try:
        grant = await reg.register()
        assert reg.registered
        assert grant.registration_uuid == "reg-0001"
        assert grant.directory_enabled
        assert registrar.calls_to("request_token")[0].headers["Authorization"].startswith("x-pexip-basic ")
    finally:
        await reg.close()


async def test_registration_wrong_password_raises_invalid_credentials(
    registrar: ScriptedRegistrar, fast: ClientOptions
) -> None:
    reg = registration(registrar, fast, password="wrong-password")
    with pytest.raises(InvalidCredentials, match="registration_password"):
        await reg.register()
    await reg.close()
    assert not reg.registered


async def test_registration_wrong_password_retries_slowly(
    registrar: ScriptedRegistrar, fast: ClientOptions
) -> None:
    delays: list[float] = []
    third = asyncio.Event()

    async def record(delay: float) -> None:
        delays.append(delay)
        if len(delays) >= 3:
            third.set()
            await asyncio.Event().wait()

    policy = RegistrationPolicy(credentials_retry_s=300.0)
    reg = registration(registrar, fast, password="wrong-password", policy=policy, sleep=record)
    reg.start()
    try:
        await asyncio.wait_for(third.wait(), 5.0)
    finally:
        await reg.close()
    assert delays == [300.0, 300.0, 300.0]
    assert len(registrar.calls_to("request_token")) == 3
    assert isinstance(reg.failure, InvalidCredentials)


async def test_registration_node_down_backs_off_doubling(
    registrar: ScriptedRegistrar, fast: ClientOptions
) -> None:
    registrar.down = True
    delays: list[float] = []
    enough = asyncio.Event()

    async def record(delay: float) -> None:
        delays.append(delay)
        if len(delays) >= 5:
            enough.set()
            await asyncio.Event().wait()

    policy = RegistrationPolicy(retry=Backoff(first=1.0, factor=2.0, cap=8.0))
    reg = registration(registrar, fast, policy=policy, sleep=record)
    reg.start()
    try:
        await asyncio.wait_for(enough.wait(), 5.0)
    finally:
        await reg.close()
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0]


async def test_registration_password_never_reaches_a_log(
    registrar: ScriptedRegistrar, fast: ClientOptions, caplog: pytest.LogCaptureFixture
) -> None:
    log.install_redaction()
    credentials = RegistrationCredentials("room-1", "wrong-password-xyz")
    reg = Registration(registrar.url, "room-1", credentials, options=fast)
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(InvalidCredentials) as raised:
            await reg.register()
        logging.getLogger("appliance.test").info(
            "%r %s %s", credentials, credentials.authorization(), raised.value
        )
    await reg.close()
    assert "wrong-password-xyz" not in caplog.text
    assert credentials.authorization().split()[1] not in caplog.text


async def test_registration_delivers_incoming_and_cancelled(
    registrar: ScriptedRegistrar, fast: ClientOptions
) -> None:
    reg = registration(registrar, fast)
    events = reg.events()
    reg.start()
    try:
        await reg.wait_registered(5.0)
        await next_of(events, Registered)
        await eventually(lambda: bool(registrar.streams))
        registrar.push(
            "incoming", {"conference_alias": "meet", "remote_display_name": "Alice", "token": "ot-1"}
        )
        incoming = await next_of(events, IncomingCall)
        assert isinstance(incoming, IncomingCall)
        assert (incoming.conference_alias, incoming.remote_display_name, incoming.token) == (
            "meet",
            "Alice",
            "ot-1",
        )
        registrar.push("incoming_cancelled", {"token": "ot-1"})
        cancelled = await next_of(events, IncomingCancelled)
        assert isinstance(cancelled, IncomingCancelled) and cancelled.token == "ot-1"
    finally:
        await reg.close()


async def test_registration_survives_a_node_restart(
    registrar: ScriptedRegistrar, fast: ClientOptions
) -> None:
    reg = registration(registrar, fast)
    events = reg.events()
    reg.start()
    try:
        await reg.wait_registered(5.0)
        await next_of(events, Registered)
        first = reg.token
        await eventually(lambda: bool(registrar.streams))
        registrar.restart()
        await next_of(events, RegistrationLost)
        await next_of(events, Registered)
        assert reg.registered and reg.token != first
    finally:
        await reg.close()


async def test_registration_refreshes_on_schedule(registrar: ScriptedRegistrar, fast: ClientOptions) -> None:
    registrar.expires = "0.3"
    reg = registration(registrar, fast)
    reg.start()
    try:
        await reg.wait_registered(5.0)
        await eventually(lambda: len(registrar.calls_to("refresh_token")) >= 2)
        assert reg.registered
        assert len(registrar.calls_to("request_token")) == 1
    finally:
        await reg.close()


async def test_registration_close_releases_the_token(
    registrar: ScriptedRegistrar, fast: ClientOptions
) -> None:
    reg = registration(registrar, fast)
    await reg.register()
    await reg.close()
    assert len(registrar.calls_to("release_token")) == 1
    assert not registrar.valid


async def test_registration_search_lists_matching_devices(
    registrar: ScriptedRegistrar, fast: ClientOptions
) -> None:
    reg = registration(registrar, fast)
    try:
        await reg.register()
        found = await reg.search("board")
    finally:
        await reg.close()
    assert [(e.alias, e.description) for e in found] == [("board-room", "Board room")]
    assert registrar.calls_to("directory")[0].query == {"q": "board"}


def test_registration_event_without_token_is_malformed() -> None:
    event = parse_registration_event("incoming", '{"conference_alias": "meet"}')
    assert isinstance(event, MalformedEvent)


def test_registration_event_unknown_name_is_kept() -> None:
    assert isinstance(parse_registration_event("something_new", "{}"), UnknownEvent)


def test_registration_incoming_repr_hides_the_token() -> None:
    event = parse_registration_event(
        "incoming", '{"conference_alias": "meet", "remote_display_name": "A", "token": "hidden-token-1"}'
    )
    assert "hidden-token-1" not in repr(event)
