"""``appliance labnode`` as a process: starts with defaults, answers /status, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import socket
import ssl
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from appliance.infinity import ClientOptions, NodeStatus, check_node

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status(url: str) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]
    except (urllib.error.URLError, ConnectionError):
        return None


@pytest.mark.timeout(60)
async def test_cli_labnode_serves_status_and_stops_on_sigterm() -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "appliance.cli",
        "labnode",
        "--port",
        str(port),
        "--no-media",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            first = (await process.stdout.readline()).decode()
        assert first.strip() == f"lab node listening on http://127.0.0.1:{port}"
        body = await asyncio.to_thread(_status, f"http://127.0.0.1:{port}/api/client/v2/status")
        assert body is not None
        assert body["status"] == "success"
        rest = b""
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            rest, _err = await process.communicate()
        assert process.returncode == 0
        assert b"/conferences/meet" in rest
        assert b"/registrations/room-1  device registration" in rest
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.timeout(60)
async def test_cli_labnode_bad_rooms_file_exits_with_one_line(tmp_path: Path) -> None:
    rooms = tmp_path / "rooms.toml"
    rooms.write_text("[rooms.x]\nhost_pin = 12\n")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "appliance.cli",
        "labnode",
        "--port",
        "0",
        "--no-media",
        "--rooms",
        str(rooms),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    async with asyncio.timeout(30):
        _out, err = await process.communicate()
    assert process.returncode == 1
    assert "host_pin" in err.decode().splitlines()[-1]


async def _labnode(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "appliance.cli",
        "labnode",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.timeout(60)
async def test_cli_labnode_video_flags_set_the_composed_format() -> None:
    process = await _labnode("--port", "0", "--width", "320", "--height", "180", "--fps", "10")
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            await process.stdout.readline()
            media = (await process.stdout.readline()).decode().strip()
        assert media == "media: on, composed 320x180@10"
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            await process.communicate()


@pytest.mark.timeout(60)
async def test_cli_labnode_odd_width_exits_with_one_line() -> None:
    process = await _labnode("--port", "0", "--width", "641")
    async with asyncio.timeout(30):
        _out, err = await process.communicate()
    assert process.returncode == 1
    assert (
        err.decode()
        .splitlines()[-1]
        .endswith("--width: expected an even number of pixels from 64 to 3840, found 641")
    )


@pytest.mark.timeout(60)
async def test_cli_labnode_self_signed_writes_its_certificate_and_prints_the_fingerprint(
    tmp_path: Path,
) -> None:
    port = _free_port()
    out = tmp_path / "node.pem"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "appliance.cli",
        "labnode",
        "--port",
        str(port),
        "--no-media",
        "--tls-self-signed",
        "--tls-cert-out",
        str(out),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        async with asyncio.timeout(30):
            while not any("fingerprint" in line for line in lines):
                lines.append((await process.stdout.readline()).decode().strip())
        assert lines[0] == f"lab node listening on https://127.0.0.1:{port}"
        assert f"TLS certificate (self-signed): {out}" in lines
        printed = next(line for line in lines if "fingerprint" in line).rsplit(" ", 1)[1]
        der = ssl.PEM_cert_to_DER_cert(out.read_text())
        assert printed == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
        # the written file is all a client needs to trust the node
        assert (
            await check_node(f"https://127.0.0.1:{port}", options=ClientOptions(ca_file=str(out)))
            is NodeStatus.UP
        )
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
