"""``appliance demo``: the lab node with bots, and the appliance's kiosk joining it.

The kiosk drives the room controller through the room interface alone, as
on a device (docs/kiosk.md). Where a display exists it opens a window (the
key map works there: M, V, H, arrows, L, R, P, Q, F1); otherwise it runs on
SDL's dummy driver and writes screenshots of the kiosk's screens, as a
person would see them, to a folder (``--screenshots``, else a new temporary
folder). ``--tour`` walks through every screen: standby, PIN entry, in call
with a chat toast, roster, help, a presentation, a mute by the Host, leaving
and an error. The last line printed is a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import tempfile
from pathlib import Path

from appliance import log as applog
from appliance.config.profile import load_profile
from appliance.config.site import KIOSK_LANGUAGES
from appliance.errors import ApplianceError
from appliance.services.demo import DemoOptions, DemoStage, DemoSummary, demo_stage
from appliance.ui.bridge import Kiosk
from appliance.ui.demo_tour import Shooter, run_plain, run_tour
from appliance.ui.display import PATHS
from appliance.ui.sdl_thread import KioskOptions
from appliance.ui.window import display_available


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="how long to stay in the meeting (0: until Ctrl-C)"
    )
    parser.add_argument("--headless", action="store_true", help="no window, even where a display exists")
    parser.add_argument("--screenshots", type=Path, help="write screenshots of the kiosk here as PNG")
    parser.add_argument("--tour", action="store_true", help="go through every screen (PIN, presentation...)")
    parser.add_argument("--bots", type=int, default=3, help="synthetic participants in the lab node's room")
    parser.add_argument("--room", help="room alias to join (default meet; the tour's is pinned)")
    parser.add_argument("--profile", default="ci-virtual", help="hardware profile for the capture devices")
    parser.add_argument("--node", help="join this node URL instead of starting the built-in lab node")
    parser.add_argument("--language", default="en", choices=KIOSK_LANGUAGES, help="the kiosk's language")
    parser.add_argument("--display-path", default="auto", choices=PATHS, help="GPU textures or software")
    parser.add_argument("--log-level", default="warning", choices=applog.LEVELS)


def run(args: argparse.Namespace) -> int:
    applog.setup(args.log_level)
    if args.tour and args.node:
        print("appliance demo: --tour needs the built-in lab node; leave out --node")
        return 2
    windowed = not args.headless and display_available()
    if not windowed:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    shots = args.screenshots
    if shots is None and not windowed:
        shots = Path(tempfile.mkdtemp(prefix="appliance-demo-"))
    display = load_profile(args.profile).display
    options = DemoOptions(
        seconds=None if args.seconds <= 0 else args.seconds,
        bots=args.bots,
        room=args.room or ("pinned" if args.tour else "meet"),
        profile=args.profile,
        node_url=args.node,
        language=args.language,
        auto_join=not args.tour,
    )
    kiosk_options = KioskOptions(
        size=(display.width, display.height),
        language=args.language,
        refresh_hz=display.refresh_hz,
        fullscreen=windowed and display.fullscreen,
        display_path=args.display_path,
        title="appliance demo",
    )
    summary = asyncio.run(_main(options, kiosk_options, shots, tour=args.tour))
    if shots is not None:
        print(f"kiosk screenshots in {shots}")
    print(
        f"joined {summary.node} room {summary.room!r}: {summary.frames_received} frames received, "
        f"{summary.frames_drawn} drawn ({summary.frames_dropped} late), {summary.participants_seen} "
        f"participants seen, screens {', '.join(summary.screens_visited)}"
    )
    print(json.dumps(summary.to_json()))
    return 0 if summary.joined and summary.frames_received > 0 and summary.error is None else 1


async def _main(
    options: DemoOptions, kiosk_options: KioskOptions, shots: Path | None, *, tour: bool
) -> DemoSummary:
    loop = asyncio.get_running_loop()
    async with demo_stage(options) as stage:
        kiosk = Kiosk(stage.room, kiosk_options)
        kiosk_task = loop.create_task(kiosk.run(), name="kiosk")
        shooter = Shooter(kiosk, shots, stage.summary)
        scenario = loop.create_task(_scenario(stage, kiosk, shooter, tour), name="demo")
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, scenario.cancel)
        try:
            # the window closed (or the kiosk failed) ends the demo like Ctrl-C does
            await asyncio.wait({scenario, kiosk_task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (scenario, kiosk_task):
                task.cancel()
            results = await asyncio.gather(scenario, kiosk_task, return_exceptions=True)
            for result in results:
                if isinstance(result, Exception) and stage.summary.error is None:
                    stage.summary.error = f"{type(result).__name__}: {result}"
            _kiosk_figures(stage.summary, kiosk)
    return stage.summary


async def _scenario(stage: DemoStage, kiosk: Kiosk, shooter: Shooter, tour: bool) -> None:
    if not await asyncio.to_thread(kiosk.thread.started.wait, 15):
        raise RuntimeError("the kiosk's display did not open within 15 s")
    try:
        await (run_tour if tour else run_plain)(stage, kiosk, shooter)
    except (TimeoutError, ApplianceError) as exc:
        stage.summary.error = stage.summary.error or str(exc)


def _kiosk_figures(summary: DemoSummary, kiosk: Kiosk) -> None:
    stats = kiosk.thread.stats
    summary.frames_drawn = stats.presented
    summary.frames_dropped = stats.late
    summary.pictures_shown = stats.pictures_shown
    summary.draw_ms_mean = round(stats.draw_ms_mean, 2) if stats.presented else None
    summary.display_path = kiosk.thread.display_path
    summary.screens_visited = list(kiosk.thread.visited)
