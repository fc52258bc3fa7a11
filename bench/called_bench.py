"""Being called and waking: how fast a dialled room is in the meeting, and a woken room is back.

Run: ``.venv/bin/python -m bench.called_bench [--calls 5] [--wakes 5]``.
Prints figures only (no assertions): speed claims live here, not in tests.
Everything runs in this process against the lab node on loopback with real
media at 320x180@10 (two cores are shared), with the ``ci-virtual`` profile
(FFmpeg test sources for camera and microphone, the fake CEC TV).

* dial -> in the roster with media: a Host in ``meet`` dials the room's
  registered alias (``room-1``); the room auto-answers with no delay; the
  time runs from the ``dial`` request until the node's roster shows the
  room's participant with ``has_media`` (its media call is up), p50/p95.
* wake press -> camera ready: the room rests in standby (devices released,
  TV off); a key press on the kiosk's standby screen (``Wake("key")``
  through the key map) until (a) the TV has acknowledged power-on over CEC
  and (b) the camera is capturing and sending again (the room, auto-join
  on, is back in its meeting with media up: the node sees ``has_media``),
  p50/p95.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pygame

from appliance.config.incoming import AnswerSettings, RegistrationConfig, StandbyConfig
from appliance.config.profile import load_profile
from appliance.config.secrets import Secrets
from appliance.config.site import ConferenceConfig, JoinPolicy, NodeConfig, SiteConfig
from appliance.infinity import InfinitySession
from appliance.labnode.app import LabNode
from appliance.labnode.state.registrar import ROOM_1_PASSWORD
from appliance.log import setup
from appliance.media.ice import use_host_addresses
from appliance.services.controller import RoomController
from appliance.services.room_api import CallState, Leave, Standby
from appliance.ui.keymap import key_down
from appliance.ui.model import KioskModel

NAME = "Bench room"
POLL_S = 0.005


def _site(node_url: str, *, auto_join: bool) -> SiteConfig:
    return SiteConfig(
        file=Path("bench-site.toml"),
        profile="ci-virtual",
        node=NodeConfig(url=node_url),
        conference=ConferenceConfig(
            alias="meet", display_name=NAME, call_type="video", bandwidth_in=512, bandwidth_out=512
        ),
        join=JoinPolicy(auto_join=auto_join, backoff_initial_s=0.2, backoff_max_s=1.0),
        secrets=Secrets(),
        registration=RegistrationConfig(alias="room-1", username="room-1"),
        registration_password=ROOM_1_PASSWORD,
        answer=AnswerSettings(auto_answer=True, delay_s=0.0),
        standby=StandbyConfig(after_meeting=False, idle_minutes=0),
    )


def _room_member(node: LabNode) -> Any:
    members = node.conference("meet").members.values()
    return next((m.participant for m in members if m.participant.display_name == NAME), None)


async def _until(predicate: Callable[[], bool], limit: float = 60.0) -> None:
    async with asyncio.timeout(limit):
        while not predicate():  # noqa: ASYNC110 - the node's roster has no event to await here
            await asyncio.sleep(POLL_S)


def _in_meeting_with_media(node: LabNode) -> Callable[[], bool]:
    def check() -> bool:
        member = _room_member(node)
        return member is not None and bool(member.has_media)

    return check


async def bench_dial(node: LabNode, calls: int) -> list[float]:
    room = RoomController(_site(node.url, auto_join=False), load_profile("ci-virtual"))
    await room.start()
    times: list[float] = []
    try:
        await _until(lambda: room.state.registered)
        host = InfinitySession(node.url, "meet")
        await host.join("Host")
        try:
            for _ in range(calls):
                started = time.perf_counter()
                await host.control.dial("room-1", role="GUEST")
                await _until(_in_meeting_with_media(node))
                times.append(time.perf_counter() - started)
                await room.submit(Leave())
                await _until(lambda: _room_member(node) is None and room.state.call is CallState.IDLE)
        finally:
            await host.close()
    finally:
        await room.stop()
    return times


async def bench_wake(node: LabNode, wakes: int) -> tuple[list[float], list[float]]:
    room = RoomController(_site(node.url, auto_join=True), load_profile("ci-virtual"))
    await room.start()
    display = room.rest.display
    assert display is not None and display.fake is not None, "ci-virtual has the fake CEC TV"
    tv = display.fake
    tv_times: list[float] = []
    camera_times: list[float] = []
    try:
        await _until(_in_meeting_with_media(node))
        for _ in range(wakes):
            await room.submit(Standby())
            await _until(lambda: _room_member(node) is None and tv.power == "standby")
            model = KioskModel(room.state)
            started = time.perf_counter()
            for command in key_down(model, pygame.K_SPACE, " ", 0.0):
                await room.submit(command)
            await _until(lambda: tv.power == "on")
            tv_times.append(time.perf_counter() - started)
            await _until(_in_meeting_with_media(node))
            camera_times.append(time.perf_counter() - started)
    finally:
        await room.stop()
    return tv_times, camera_times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _line(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{label}: p50 {statistics.median(ms):.0f} ms   p95 {_pct(ms, 0.95):.0f} ms   "
        f"min {min(ms):.0f} ms   max {max(ms):.0f} ms   (n={len(ms)})"
    )


async def run(calls: int, wakes: int) -> None:
    use_host_addresses(["127.0.0.1"])
    async with LabNode(host="127.0.0.1", port=0, width=320, height=180, fps=10) as node:
        dial = await bench_dial(node, calls)
        print(_line("dial -> room in the roster with media (auto-answer, no delay)", dial))
        tv, camera = await bench_wake(node, wakes)
        print(_line("wake key press -> TV on (fake CEC TV acknowledged)", tv))
        print(_line("wake key press -> camera capturing and in the meeting with media", camera))
        ratio = statistics.median(camera) / statistics.median(dial)
        print(f"ratio wake->camera / dial->media (p50): {ratio:.2f}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.called_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--wakes", type=int, default=5)
    args = parser.parse_args(argv)
    setup("warning")
    asyncio.run(run(args.calls, args.wakes))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
