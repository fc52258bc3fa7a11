"""``appliance run`` as systemd runs it: a subprocess with a fake NOTIFY_SOCKET, against the lab node."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from appliance.config.profile import find_profile
from appliance.labnode.app import LabNode
from tests.support.notify import NotifySocket
from tests.support.waiting import eventually

SITE = """
[appliance]
profile = "ci-virtual"
room_name = "Daemon test room"
[node]
address = "{url}"
[conference]
alias = "meet"
display_name = "Daemon room"
call_type = "none"
[join]
backoff_initial_s = 0.2
backoff_max_s = 1
"""


class DaemonProcess:
    def __init__(self, process: asyncio.subprocess.Process, notify: NotifySocket) -> None:
        self.process = process
        self.notify = notify
        self.output = b""

    async def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signum)
        out, _ = await asyncio.wait_for(self.process.communicate(), 30)
        self.output += out
        return self.process.returncode if self.process.returncode is not None else -1

    def log_lines(self) -> list[dict[str, object]]:
        lines = []
        for raw in self.output.decode(errors="replace").splitlines():
            if raw.startswith("{"):
                lines.append(json.loads(raw))
        return lines


@pytest.fixture
async def start_daemon(tmp_path: Path) -> AsyncIterator[object]:
    started: list[DaemonProcess] = []

    async def start(site: Path) -> DaemonProcess:
        notify = NotifySocket(tmp_path)
        env = {**os.environ, "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"}
        env.pop("WATCHDOG_PID", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "appliance.cli",
            "run",
            "--site",
            str(site),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        daemon = DaemonProcess(process, notify)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        if daemon.process.returncode is None:
            daemon.process.kill()
            await daemon.process.wait()
        daemon.notify.close()


def _site(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(text)
    return path


def _people(node: LabNode) -> int:
    return len(node.conference("meet").members)


async def test_daemon_says_ready_then_in_call_status(
    signalling_node: LabNode, tmp_path: Path, start_daemon
) -> None:
    daemon = await start_daemon(_site(tmp_path, SITE.format(url=signalling_node.url)))
    ready = await daemon.notify.wait_for(lambda line: line == "READY=1")
    assert ready
    await daemon.notify.wait_for(lambda line: line == "STATUS=in-call: meet")
    lines = daemon.notify.lines()
    assert lines.index("READY=1") < lines.index("STATUS=in-call: meet")
    assert await daemon.stop() == 0


async def test_daemon_sends_watchdog_keepalives(
    signalling_node: LabNode, tmp_path: Path, start_daemon
) -> None:
    daemon = await start_daemon(_site(tmp_path, SITE.format(url=signalling_node.url)))
    await daemon.notify.wait_for(lambda line: line == "READY=1")
    await eventually(lambda: daemon.notify.lines().count("WATCHDOG=1") >= 3)
    assert await daemon.stop() == 0


async def test_daemon_sigterm_says_stopping_and_leaves_cleanly(
    signalling_node: LabNode, tmp_path: Path, start_daemon
) -> None:
    daemon = await start_daemon(_site(tmp_path, SITE.format(url=signalling_node.url)))
    await daemon.notify.wait_for(lambda line: line == "STATUS=in-call: meet")
    assert _people(signalling_node) == 1
    assert await daemon.stop(signal.SIGTERM) == 0
    assert "STOPPING=1" in daemon.notify.lines()
    assert _people(signalling_node) == 0  # the token was released, not left to lapse


async def test_daemon_sigterm_mid_join_says_stopping_and_leaves_no_token_on_the_node(
    signalling_node: LabNode, tmp_path: Path, start_daemon
) -> None:
    signalling_node.control.hold_calls(120)  # token granted, media call never answered: joining
    site = SITE.format(url=signalling_node.url).replace('call_type = "none"', 'call_type = "audioonly"')
    daemon = await start_daemon(_site(tmp_path, site))
    await daemon.notify.wait_for(lambda line: line == "STATUS=joining: meet")
    await eventually(lambda: _people(signalling_node) == 1)  # it holds a token now
    (uuid,) = signalling_node.conference("meet").members
    assert await daemon.stop(signal.SIGTERM) == 0
    lines = daemon.notify.lines()
    assert "STOPPING=1" in lines
    assert not any(line.startswith("STATUS=in-call") for line in lines)  # stopped mid-join
    assert _people(signalling_node) == 0
    assert signalling_node.state.tokens.current(uuid) is None  # released, not left to lapse


async def test_daemon_says_ready_only_once_the_site_is_loaded_and_devices_checked(
    signalling_node: LabNode, tmp_path: Path, start_daemon
) -> None:
    daemon = await start_daemon(_site(tmp_path, SITE.format(url=signalling_node.url)))
    await daemon.notify.wait_for(lambda line: line == "READY=1")
    ready = next(message for message in daemon.notify.messages if "READY=1" in message)
    assert ready.splitlines()[1] in ("STATUS=idle", "STATUS=joining: meet", "STATUS=in-call: meet")
    assert daemon.notify.messages.index(ready) < next(
        (i for i, message in enumerate(daemon.notify.messages) if message == "WATCHDOG=1"),
        len(daemon.notify.messages),
    )  # no keep-alive before READY
    assert await daemon.stop() == 0


async def test_daemon_says_stopping_before_it_leaves_the_meeting(
    signalling_node: LabNode, tmp_path: Path, start_daemon
) -> None:
    daemon = await start_daemon(_site(tmp_path, SITE.format(url=signalling_node.url)))
    await daemon.notify.wait_for(lambda line: line == "STATUS=in-call: meet")
    assert await daemon.stop(signal.SIGTERM) == 0
    lines = daemon.notify.lines()
    assert lines.index("STOPPING=1") < lines.index("STATUS=leaving: meet")
    assert lines[-1] in ("STATUS=idle", "STATUS=leaving: meet")  # nothing after the leave


async def test_daemon_without_a_meeting_is_ready_in_setup(tmp_path: Path, start_daemon) -> None:
    daemon = await start_daemon(_site(tmp_path, '[appliance]\nprofile = "ci-virtual"\n'))
    await daemon.notify.wait_for(lambda line: line == "READY=1")
    status = await daemon.notify.wait_for(lambda line: line.startswith("STATUS="))
    assert status.startswith("STATUS=setup-needed: needs [node] address, [conference] alias")
    assert await daemon.stop() == 0


async def test_daemon_broken_site_file_says_exactly_what_is_wrong(tmp_path: Path, start_daemon) -> None:
    broken = SITE.format(url="http://127.0.0.1:9") + "bandwith_kbps = 5\n"
    daemon = await start_daemon(_site(tmp_path, broken))
    await daemon.notify.wait_for(lambda line: line == "READY=1")
    status = await daemon.notify.wait_for(lambda line: line.startswith("STATUS=error"))
    assert "[join] bandwith_kbps: unknown key" in status
    assert await daemon.stop() == 0
    assert any("bandwith_kbps" in str(line.get("msg")) for line in daemon.log_lines())


async def test_daemon_broken_edit_keeps_the_last_good_site_running(
    signalling_node: LabNode, tmp_path: Path, start_daemon
) -> None:
    site = _site(tmp_path, SITE.format(url=signalling_node.url))
    daemon = await start_daemon(site)
    await daemon.notify.wait_for(lambda line: line == "STATUS=in-call: meet")
    site.write_text(SITE.format(url=signalling_node.url).replace('call_type = "none"', 'call_type = "fax"'))
    daemon.process.send_signal(signal.SIGHUP)
    status = await daemon.notify.wait_for(lambda line: "call_type" in line)
    assert status.startswith("STATUS=in-call: meet | ")
    assert _people(signalling_node) == 1  # still in the meeting on the last good file
    assert await daemon.stop() == 0


async def test_daemon_fixed_site_file_is_taken_without_a_restart(
    signalling_node: LabNode, tmp_path: Path, start_daemon
) -> None:
    site = _site(tmp_path, '[appliance]\nprofile = "ci-virtual"\n')
    daemon = await start_daemon(site)
    await daemon.notify.wait_for(lambda line: line.startswith("STATUS=setup-needed"))
    site.write_text(SITE.format(url=signalling_node.url))
    daemon.process.send_signal(signal.SIGHUP)
    await daemon.notify.wait_for(lambda line: line == "STATUS=in-call: meet")
    assert await daemon.stop() == 0


async def test_daemon_without_its_gpio_chip_says_which_key_and_still_joins(
    signalling_node: LabNode, tmp_path: Path, start_daemon
) -> None:
    if importlib.util.find_spec("lgpio") is not None:
        pytest.skip("lgpio is installed here: the Pi 5's GPIO chip may really open")
    # the Pi 5 profile's pin factory on a machine without its GPIO chip
    profile = tmp_path / "no-gpio-chip.toml"
    text = find_profile("ci-virtual").read_text()
    profile.write_text(text.replace('pin_factory = "mock"', 'pin_factory = "lgpio"'))
    site = SITE.format(url=signalling_node.url).replace('profile = "ci-virtual"', f'profile = "{profile}"')
    daemon = await start_daemon(_site(tmp_path, site))
    await daemon.notify.wait_for(lambda line: line == "READY=1")
    problem = await daemon.notify.wait_for(lambda line: "[gpio] pin_factory = 'lgpio'" in line)
    assert problem.startswith("STATUS=") and "the button panel cannot be used" in problem
    await daemon.notify.wait_for(lambda line: line == "STATUS=in-call: meet")  # the room works on
    assert await daemon.stop() == 0
