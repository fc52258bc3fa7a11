"""``appliance demo``: the lab node with bots, and this appliance joining it with real media."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path

from appliance import log as applog
from appliance.config.profile import load_profile
from appliance.services.demo import DemoOptions, DemoSummary, run_demo
from appliance.ui.window import VideoWindow, display_available


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="how long to stay in the meeting (0: until Ctrl-C)"
    )
    parser.add_argument("--headless", action="store_true", help="no window, even where a display exists")
    parser.add_argument(
        "--screenshots", type=Path, help="write decoded frames of the composed stream as PNG here"
    )
    parser.add_argument("--bots", type=int, default=3, help="synthetic participants in the lab node's room")
    parser.add_argument("--room", default="meet", help="room alias to join")
    parser.add_argument("--profile", default="ci-virtual", help="hardware profile for the capture devices")
    parser.add_argument("--node", help="join this node URL instead of starting the built-in lab node")
    parser.add_argument("--log-level", default="warning", choices=applog.LEVELS)


def run(args: argparse.Namespace) -> int:
    applog.setup(args.log_level)
    options = DemoOptions(
        seconds=None if args.seconds <= 0 else args.seconds,
        bots=args.bots,
        room=args.room,
        profile=args.profile,
        screenshots=args.screenshots,
        node_url=args.node,
    )
    window = None
    if not args.headless and display_available():
        display = load_profile(args.profile).display
        window = VideoWindow((display.width, display.height), title="appliance demo")
        window.start()
    try:
        summary = asyncio.run(_main(options, window))
    finally:
        if window is not None:
            window.stop()
    print(
        f"joined {summary.node} room {summary.room!r}: {summary.frames_received} frames received, "
        f"{summary.participants_seen} participants seen, decoder {summary.decoder}"
    )
    print(json.dumps(summary.to_json()))
    return 0 if summary.joined and summary.frames_received > 0 else 1


async def _main(options: DemoOptions, window: VideoWindow | None) -> DemoSummary:
    summary = DemoSummary()
    task = asyncio.create_task(run_demo(options, window.show if window else None, summary))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    if window is not None:
        # Closing the window ends the demo like Ctrl-C does.
        loop.run_in_executor(None, lambda: window.closed.wait() and loop.call_soon_threadsafe(task.cancel))
    try:
        return await task
    except asyncio.CancelledError:
        return summary  # stopped by Ctrl-C or the window: report what was seen
