"""Recovery figures: node paused -> media back, node gone -> onError, silent stream -> reconnect.

The three measurements docs/benchmarks.md ("Recovery") quotes, with the
product's default policies (docs/media.md "Automatic ICE restart",
docs/infinity-client.md "Silent streams", docs/pexrtc.md onError):

* **paused**: ``appliance labnode`` in a child process, our PexRTC core in
  this one with a video call from lavfi sources; the node is frozen with
  SIGSTOP for ``--pause`` seconds (20) and resumed with SIGCONT. Reported:
  seconds from SIGSTOP and from SIGCONT until decoded video frames arrive
  again, and which restart attempt brought them back.
* **gone**: the same call, then SIGKILL. Reported: seconds from the kill to
  the failure being detected (the core's ``call failed`` log line) and from
  there to ``onError``.
* **silent**: an event stream that sends the roster, then nothing (or one
  byte every 5 s that never completes an event). Reported: seconds from the
  last complete event to the client's reconnect (``StreamReconnecting``).

Times are wall-clock on this machine and vary with load; they are printed,
never asserted (tests assert behaviour only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from appliance.infinity import ClientOptions, InfinitySession
from appliance.infinity.events import Event, StreamReconnecting
from appliance.media.encoders import install_codecs
from appliance.media.ice import use_host_addresses
from appliance.pexrtc.core import Conference
from appliance.pexrtc.media import MediaPreferences
from bench.labnode_bench import NodeProcess

PREFS = MediaPreferences(
    audio_source="sine=frequency=440:sample_rate=48000", video_source="testsrc=size=320x180:rate=15"
)


class Callbacks:
    def __init__(self) -> None:
        self.seen: list[tuple[float, str, tuple[Any, ...]]] = []

    def __call__(self, name: str, *args: Any) -> None:
        self.seen.append((time.monotonic(), name, args))

    def first(self, name: str) -> float | None:
        return next((t for t, n, _ in self.seen if n == name), None)

    def count(self, name: str) -> int:
        return sum(1 for _, n, _ in self.seen if n == name)


class FailureLog(logging.Handler):
    """When the core decided the call failed (its ``call failed`` line, logged before onError)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.at: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.at is None and record.getMessage().startswith("call failed"):
            self.at = time.monotonic()


async def until(predicate: Callable[[], bool], limit: float, step: float = 0.05) -> float | None:
    """Monotonic time when ``predicate`` became true, or None after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        await asyncio.sleep(step)
    return None


async def joined(url: str, callbacks: Callbacks) -> Conference:
    conference = Conference(callbacks)
    await conference.make_call(url, "meet", "Recovery", call_type="video", prefs=PREFS)
    if await until(lambda: callbacks.count("onSetup") > 0, 30) is None:
        raise SystemExit(f"recovery bench: no onSetup; callbacks {[n for _, n, _ in callbacks.seen]}")
    await conference.connect()
    if await until(lambda: callbacks.count("onConnect") >= 2, 30) is None:
        raise SystemExit(f"recovery bench: no media call; callbacks {[n for _, n, _ in callbacks.seen]}")
    media = conference.media
    if await until(lambda: media.call.main_video.stats.frames > 10, 30) is None:
        raise SystemExit("recovery bench: no video from the node")
    return conference


def _pid(node: NodeProcess) -> int:
    assert node.ps is not None
    return int(node.ps.pid)


async def paused(pause_s: float) -> dict[str, Any]:
    callbacks = Callbacks()
    async with NodeProcess(bots=0, width=320, height=180, fps=10) as node:
        conference = await joined(node.url, callbacks)
        call = conference.media.call
        try:
            stopped = time.monotonic()
            node_pid = _pid(node)
            os.kill(node_pid, signal.SIGSTOP)
            await asyncio.sleep(pause_s)
            frames = call.main_video.stats.frames
            os.kill(node_pid, signal.SIGCONT)
            resumed = time.monotonic()
            back = await until(
                lambda: call.main_video.stats.frames > frames + 3 or callbacks.count("onError") > 0, 60
            )
            ok = back is not None and callbacks.count("onError") == 0
            return {
                "scenario": "node paused (SIGSTOP/SIGCONT)",
                "pause_s": pause_s,
                "media_back": ok,
                "from_stop_s": round(back - stopped, 1) if ok and back else None,
                "from_resume_s": round(back - resumed, 1) if ok and back else None,
                "restart_attempt": call.ice_restarts if ok else None,
                "onError": [args for _, n, args in callbacks.seen if n == "onError"],
            }
        finally:
            await conference.close()


async def gone() -> dict[str, Any]:
    callbacks = Callbacks()
    failure = FailureLog()
    logging.getLogger("appliance.pexrtc.core").addHandler(failure)
    try:
        async with NodeProcess(bots=0, width=320, height=180, fps=10) as node:
            conference = await joined(node.url, callbacks)
            try:
                killed = time.monotonic()
                os.kill(_pid(node), signal.SIGKILL)
                error_at = await until(lambda: callbacks.count("onError") > 0, 180)
                tidy_start = time.monotonic()
                await conference.tidied_up()
                tidy_s = time.monotonic() - tidy_start
                return {
                    "scenario": "node gone (SIGKILL)",
                    "failure_detected_s": round(failure.at - killed, 1) if failure.at else None,
                    "onError_after_kill_s": round(error_at - killed, 1) if error_at else None,
                    "onError_after_failure_s": (
                        round(error_at - failure.at, 3) if error_at and failure.at else None
                    ),
                    "tidy_up_after_onError_s": round(tidy_s, 2),
                    "onError": [args for _, n, args in callbacks.seen if n == "onError"],
                }
            finally:
                await conference.close()
    finally:
        logging.getLogger("appliance.pexrtc.core").removeHandler(failure)


# --- a node whose event stream goes quiet ------------------------------------------------


def _sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()


async def silent(trickle: bool) -> dict[str, Any]:
    """Time from the last complete event to the client's reconnect, with default options."""
    last_event: list[float] = []
    connects = 0

    async def token(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "status": "success",
                "result": {
                    "token": "bench-token-value",
                    "expires": "120",
                    "participant_uuid": "me",
                    "display_name": "Recovery",
                    "role": "HOST",
                    "version": {"version_id": "36", "pseudo_version": "0"},
                    "service_type": "conference",
                    "current_service_type": "conference",
                    "chat_enabled": True,
                    "stun": [],
                    "turn": [],
                },
            }
        )

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"status": "success", "result": {"locked": False, "started": True}})

    async def events(request: web.Request) -> web.StreamResponse:
        nonlocal connects
        connects += 1
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(_sse("participant_sync_begin", None) + _sse("participant_sync_end", None))
        last_event.append(time.monotonic())
        try:
            while True:
                await asyncio.sleep(5.0)
                if trickle:
                    await response.write(b"d")  # one byte, never a whole line
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    async def other(request: web.Request) -> web.Response:
        return web.json_response({"status": "success", "result": True})

    app = web.Application()
    base = "/api/client/v2/conferences/{alias}"
    app.router.add_post(f"{base}/request_token", token)
    app.router.add_get(f"{base}/conference_status", status)
    app.router.add_get(f"{base}/events", events)
    app.router.add_route("*", f"{base}/{{tail:.*}}", other)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    reconnected: list[float] = []

    def seen(event: Event) -> None:
        if isinstance(event, StreamReconnecting) and not reconnected:
            reconnected.append(time.monotonic())

    options = ClientOptions()
    try:
        async with InfinitySession(url, "meet", options=options) as session:
            session.subscribe(seen)
            await session.join("Recovery")
            await until(lambda: bool(reconnected), options.event_read_timeout * 3)
    finally:
        await runner.cleanup()
    return {
        "scenario": "event stream trickling a byte every 5 s" if trickle else "event stream silent",
        "event_read_timeout_s": options.event_read_timeout,
        "reconnect_after_last_event_s": (
            round(reconnected[0] - last_event[0], 1) if reconnected and last_event else None
        ),
    }


async def run(args: argparse.Namespace) -> int:
    use_host_addresses(["127.0.0.1"])
    install_codecs()
    results = []
    if "paused" in args.scenarios:
        results.append(await paused(args.pause))
    if "gone" in args.scenarios:
        results.append(await gone())
    if "silent" in args.scenarios:
        results.append(await silent(trickle=False))
        results.append(await silent(trickle=True))
    for result in results:
        print(json.dumps(result), flush=True)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench --only recovery --", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--pause", type=float, default=20.0, help="seconds the node stays frozen (default 20)"
    )
    parser.add_argument(
        "--scenarios",
        nargs="+",
        default=["paused", "gone", "silent"],
        choices=["paused", "gone", "silent"],
        help="which measurements to run (default: all)",
    )
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(run(parser.parse_args(argv)))
