"""TLS: verification on by default, a site CA file, and the explicit opt-out."""

from __future__ import annotations

import dataclasses
import re
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp import web

from appliance.errors import ConfigError
from appliance.infinity import (
    CaFileUnreadable,
    CertificateRejected,
    ClientOptions,
    InfinitySession,
    NodeStatus,
    TokenGrant,
    check_node,
)
from appliance.infinity.errors import ConferenceNotFound
from appliance.infinity.events import Event, SessionFailed, StreamReconnecting
from appliance.infinity.http import Transport
from appliance.infinity.stream import EventStream
from tests.support.recorder import EventLog
from tests.support.scripted_node import ScriptedNode


@pytest.fixture
async def tls_node(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "site-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"status": "success", "result": True})

    async def token(request: web.Request) -> web.Response:
        return web.json_response(
            {"status": "failed", "result": "Neither conference nor gateway found"}, status=404
        )

    app = web.Application()
    app.router.add_get("/api/client/v2/status", status)
    app.router.add_post("/api/client/v2/conferences/{alias}/request_token", token)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    yield f"https://127.0.0.1:{runner.addresses[0][1]}", ca_file
    await runner.cleanup()


async def test_tls_unknown_ca_is_rejected_by_default(tls_node: tuple[str, Path], fast: ClientOptions) -> None:
    url, _ = tls_node
    async with InfinitySession(url, "meet", options=fast) as session:
        with pytest.raises(CertificateRejected, match="TLS certificate"):
            await session.request_token("Room")


async def test_tls_site_ca_file_is_trusted(tls_node: tuple[str, Path], fast: ClientOptions) -> None:
    url, ca_file = tls_node
    options = dataclasses.replace(fast, ca_file=str(ca_file))
    assert await check_node(url, options=options) is NodeStatus.UP
    async with InfinitySession(url, "meet", options=options) as session:
        with pytest.raises(ConferenceNotFound):
            await session.request_token("Room")


async def test_tls_verification_off_connects_and_warns(
    tls_node: tuple[str, Path], fast: ClientOptions, caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = tls_node
    options = dataclasses.replace(fast, verify_tls=False)
    with caplog.at_level("WARNING"):
        assert await check_node(url, options=options) is NodeStatus.UP
    assert "verification of the node is OFF" in caplog.text


async def test_tls_check_node_reports_a_rejected_certificate(tls_node: tuple[str, Path]) -> None:
    url, _ = tls_node
    with pytest.raises(CertificateRejected, match="check the node: the node's TLS certificate"):
        await check_node(url)


async def test_tls_event_stream_fails_at_once_on_a_rejected_certificate(
    tls_node: tuple[str, Path], fast: ClientOptions
) -> None:
    url, _ = tls_node
    transport = Transport(url, "meet", http=None, options=fast)
    transport.token = "tok-secretvalue"
    delivered: list[Event] = []
    try:
        with pytest.raises(CertificateRejected, match="receive conference events"):
            await EventStream(transport, delivered.append).run()
    finally:
        await transport.close()
    assert not any(isinstance(e, StreamReconnecting) for e in delivered)


async def test_tls_session_fails_at_once_when_the_stream_meets_a_bad_certificate(
    tmp_path: Path, fast: ClientOptions
) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    site_ca = trustme.CA()
    site_ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "site-ca.pem"
    site_ca.cert_pem.write_to_path(str(ca_file))
    options = dataclasses.replace(fast, ca_file=str(ca_file))
    async with (
        ScriptedNode(ssl_context=server_context) as node,
        # A fresh connection per request, so the reconnect really meets the new certificate.
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http,
    ):
        session = InfinitySession(node.url, "meet", http=http, options=options)
        try:
            assert isinstance(await session.join("Room"), TokenGrant)
            seen = EventLog()
            session.subscribe(seen)
            # The node now shows a certificate the site CA never signed.
            trustme.CA().issue_cert("127.0.0.1").configure_cert(server_context)
            node.cut_streams()
            failed = await seen.wait_for(lambda e: isinstance(e, SessionFailed))
            assert isinstance(failed.error, CertificateRejected)
            assert sum(isinstance(e, StreamReconnecting) for e in seen.events) == 1
        finally:
            await session.close()


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda folder: folder / "missing.pem", "no such file"),
        (lambda folder: folder, "is a directory"),
        (
            lambda folder: _write(folder / "garbage.pem", b"not a certificate\n"),
            "holds no PEM CA certificate",
        ),
    ],
    ids=["missing", "directory", "not-pem"],
)
async def test_tls_bad_ca_file_is_one_typed_error_from_join_naming_the_file(
    tmp_path: Path, fast: ClientOptions, make: Any, why: str
) -> None:
    path = str(make(tmp_path))
    options = dataclasses.replace(fast, ca_file=path)
    async with ScriptedNode() as node, InfinitySession(node.url, "meet", options=options) as session:
        with pytest.raises(CaFileUnreadable, match=re.escape(f"ca_file {path}: {why}")) as info:
            await session.join("Room")
        assert node.requests == []  # refused before any request
    assert info.value.file == path
    assert isinstance(info.value, ConfigError)


async def test_tls_check_node_reports_a_missing_ca_file_not_an_unreachable_node(tmp_path: Path) -> None:
    path = str(tmp_path / "missing.pem")
    with pytest.raises(CaFileUnreadable, match=re.escape(path)):
        await check_node("https://127.0.0.1:9", options=ClientOptions(ca_file=path))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
