"""examples/console_client.py, driven through stdin in a subprocess, against the lab node."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from appliance.labnode.app import LabNode
from appliance.labnode.http.tls import self_signed
from tests.support.pexrtc import Join

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "console_client.py"
WAIT = 30.0


class Console:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.seen: list[str] = []

    async def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()

    async def expect(self, fragment: str) -> str:
        assert self.process.stdout is not None
        async with asyncio.timeout(WAIT):
            while True:
                raw = await self.process.stdout.readline()
                if not raw:
                    raise AssertionError(f"console exited before printing {fragment!r}; saw {self.seen}")
                line = raw.decode().rstrip("\n")
                self.seen.append(line)
                if fragment in line:
                    return line


@pytest.fixture
async def console(node: LabNode) -> AsyncIterator[Console]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        node.url,
        "meet",
        "Console",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    client = Console(process)
    try:
        await client.expect("* connected as HOST")
        yield client
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_console_example_shows_chat_from_others(console: Console, join: Join) -> None:
    observer, _ = await join(name="Observer")
    await observer.sendChatMessage("hello console")
    await console.expect("<Observer> hello console")


async def test_console_example_sends_chat(console: Console, join: Join) -> None:
    _, observer = await join(name="Observer")
    await console.send("chat hi from the console")
    (message,) = await observer.wait_for("onChatMessage")
    assert (message["origin"], message["payload"]) == ("Console", "hi from the console")


async def test_console_example_lists_the_roster(console: Console, join: Join) -> None:
    await join(name="Observer")
    await console.expect("* Observer joined")
    await console.send("roster")
    await console.expect("  Console (chair)")
    await console.expect("  Observer (chair)")


async def test_console_example_mutes_and_raises_a_hand(console: Console, join: Join) -> None:
    _, observer = await join(name="Observer")
    await console.send("mute")
    await console.expect("* microphone muted")
    await observer.wait_for(
        "onParticipantUpdate", lambda p: p["display_name"] == "Console" and p["is_client_muted"]
    )
    await console.send("hand")
    await observer.wait_for(
        "onParticipantUpdate", lambda p: p["display_name"] == "Console" and p["buzz_time"] > 0
    )


async def test_console_example_quit_leaves_and_exits_cleanly(console: Console, join: Join) -> None:
    _, observer = await join(name="Observer")
    await console.send("quit")
    await console.expect("* left the meeting")
    async with asyncio.timeout(WAIT):
        assert await console.process.wait() == 0
    (gone,) = await observer.wait_for("onParticipantDelete")
    assert gone["uuid"]


async def test_console_example_asks_for_a_pin_and_retries(node: LabNode) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        node.url,
        "pinned",
        "Console",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    client = Console(process)
    try:
        await client.expect("* PIN:")
        await client.send("0000")
        await client.expect("* PIN:")
        await client.send("5678")
        await client.expect("* connected as GUEST")
        await client.send("quit")
        async with asyncio.timeout(WAIT):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_console_example_exits_at_a_virtual_reception_without_waiting_for_input(node: LabNode) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        node.url,
        "reception",
        "Console",
        stdin=asyncio.subprocess.PIPE,  # left open and silent: nothing is ever typed
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    client = Console(process)
    try:
        await client.expect("* this is a Virtual Reception")
        async with asyncio.timeout(WAIT):
            assert await process.wait() == 2
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_console_example_exits_when_the_node_disconnects_it_without_waiting_for_input(
    console: Console, node: LabNode
) -> None:
    (uuid,) = [
        uuid
        for uuid, member in node.conference("meet").members.items()
        if member.participant.display_name == "Console"
    ]
    assert node.control.kick(uuid, "Disconnected by an administrator")
    await console.expect("* disconnected: Disconnected by an administrator")
    async with asyncio.timeout(WAIT):
        assert await console.process.wait() == 0


async def test_console_example_trusts_a_ca_file_given_with_ca(tmp_path: Path) -> None:
    certificate = self_signed(["127.0.0.1"])
    ca_file = tmp_path / "labnode-cert.pem"
    ca_file.write_bytes(certificate.cert_pem)
    async with LabNode(
        host="127.0.0.1", port=0, media=False, ssl_context=certificate.server_context()
    ) as node:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(EXAMPLE),
            node.url,
            "meet",
            "Console",
            "--ca",
            str(ca_file),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = Console(process)
        try:
            await client.expect("* connected as HOST")
            await client.send("quit")
            async with asyncio.timeout(WAIT):
                assert await process.wait() == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def test_console_example_names_a_missing_ca_file_and_exits(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        "https://127.0.0.1:9",
        "meet",
        "Console",
        "--ca",
        str(missing),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    client = Console(process)
    try:
        line = await client.expect("* error:")
        assert str(missing) in line and "no such file" in line
        async with asyncio.timeout(WAIT):
            assert await process.wait() == 1
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
