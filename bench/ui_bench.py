"""Kiosk benchmarks at 1080p output: ratios measured in one run, never asserted (docs/benchmarks.md, ui).

(a) receive + decode + kiosk draw (720p and 360p incoming) as a ratio of raw PyAV decode of the same
    clip, per display path (target >= 0.65 at 720p)
(b) the kiosk's draw time per frame and its share of one core at the call's frame rate
(c) the display paths side by side: what putting one new picture on screen costs in each
(d) the appliance next to a browser kiosk: headless Chromium running Pexip's web client (as
    tests/conformance bundles it) in the same call on the same lab node; PSS of each process tree
    and CPU over the same window (targets: <= 0.15 of the memory, <= 0.5 of the CPU). Like for
    like: both send a 640x360 15 fps test picture in H.264 and a tone, both receive the node's
    same 640x360 15 fps H.264 mix and show it on a 1280x720 screen (bench/browser_kiosk.mjs,
    bench/browser_match.toml); what each sends and receives is printed from the node's side.

``python -m bench --only ui`` (about 2 min); ``-- --long`` for more pairs and a longer window.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import functools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import psutil
import pygame

from appliance.media.encoders import install_codecs
from appliance.media.sinks import VideoSink
from appliance.services.room_api import CallState, ChatMessage, Meeting, Participant, RoomState
from appliance.ui.display import SoftwareDisplay, TextureDisplay
from appliance.ui.i18n import Translator
from appliance.ui.model import KioskModel
from appliance.ui.pictures import PictureStore
from appliance.ui.view import KioskView
from bench.media_bench import _timed, clip_frames, decode_raw, receive_pipeline, rtp_packets

OUTPUT = (1920, 1080)
REPO = Path(__file__).resolve().parent.parent
BROWSER_SCRIPT = REPO / "bench" / "browser_kiosk.mjs"
MATCHED_PROFILE = REPO / "bench" / "browser_match.toml"  # the browser's fake devices, for the appliance
UI_CHANGES_EVERY = 30  # frames: the status bar's clock moves once a second at 30 fps


def in_call_model() -> KioskModel:
    """A busy in-call screen: status bar with indicators, a chat toast, roster-sized meeting."""
    people = tuple(Participant(f"u{i}", f"Person {i}", "host" if i == 1 else "guest") for i in range(6))
    state = RoomState(
        call=CallState.IN_CALL,
        room_name="Room 4",
        meeting=Meeting(name="Weekly planning", started_at=time.monotonic(), recording=True, locked=True),
        participants=people,
        hand_raised=True,
    )
    model = KioskModel(state)
    model.TOAST_S = 1e9
    model.apply_event(ChatMessage("Person 1", "Can everyone see the slides?"), time.monotonic(), lambda m: m)
    return model


class KioskDraw:
    """One kiosk frame per new picture, as the SDL thread draws it: take, lay out, present."""

    def __init__(self, display: Any) -> None:
        self.display = display
        self.view = KioskView(display.size, Translator("en"))
        self.model = in_call_model()
        self.pictures = PictureStore()
        self.frames = 0
        self.draw_s: list[float] = []

    def show_from(self, sink: VideoSink) -> Callable[[], None]:
        def show() -> None:
            picture = sink.slot.take_nowait()
            if picture is None:
                return
            started = time.perf_counter()
            self.pictures.put("main", picture)
            now = time.monotonic()
            places = self.view.video_layout(self.model, self.pictures.sizes(), now)
            wall = datetime.datetime.now()

            def draw(target: pygame.Surface) -> None:
                self.view.draw_ui(target, self.model, now, wall)

            self.display.present(places, self.pictures, draw, self.frames % UI_CHANGES_EVERY == 0)
            self.frames += 1
            self.draw_s.append(time.perf_counter() - started)

        return show


@contextlib.contextmanager
def opened(path: str) -> Iterator[Any]:
    pygame.display.init()
    display = TextureDisplay(OUTPUT) if path == "texture" else SoftwareDisplay(OUTPUT)
    try:
        yield display
    finally:
        display.close()


def bench_receive_draw(pairs: int, count: int) -> dict[str, float]:
    """(a), (b): ratios to raw decode, and the draw time per frame, for each incoming size and path."""
    draw_ms: dict[str, float] = {}
    print(
        f"(a) receive + decode + kiosk draw at {OUTPUT[0]}x{OUTPUT[1]}, "
        "fps ratio to raw PyAV decode (median CPU):"
    )
    for width, height in ((1280, 720), (640, 360)):
        frames = clip_frames(width, height, count)
        units, packets = rtp_packets(frames)
        for path in ("texture", "software"):
            with opened(path) as display:
                kiosk = KioskDraw(display)
                ratios = []
                for index in range(pairs):
                    sink = VideoSink("main")  # the controller's pictures keep their size: the kiosk scales
                    runs = {
                        "raw": functools.partial(decode_raw, units),
                        "kiosk": functools.partial(receive_pipeline, packets, sink, kiosk.show_from(sink)),
                    }
                    order = list(runs) if index % 2 == 0 else list(reversed(runs))
                    results = {name: _timed(runs[name]) for name in order}
                    ratios.append(
                        (results["kiosk"][1] / results["raw"][1], results["kiosk"][0] / results["raw"][0])
                    )
                mean_ms = statistics.fmean(kiosk.draw_s) * 1000.0
                p95_ms = sorted(kiosk.draw_s)[int(0.95 * (len(kiosk.draw_s) - 1))] * 1000.0
                draw_ms[f"{height}p {path}"] = mean_ms
                target = " (target >= 0.65)" if height == 720 else ""
                print(
                    f"    {height}p in, {path:8s}: CPU {statistics.median(r[0] for r in ratios):.2f}, "
                    f"wall {statistics.median(r[1] for r in ratios):.2f}{target}; "
                    f"draw {mean_ms:.2f} ms/frame (p95 {p95_ms:.2f})"
                )
    print("(b) kiosk draw per frame and share of one core at the lab node's 15 fps and at 30 fps:")
    for label, ms in draw_ms.items():
        print(
            f"    {label:14s}: {ms:.2f} ms, {ms * 15 / 1000:.1%} of a core at 15 fps, "
            f"{ms * 30 / 1000:.1%} at 30 fps"
        )
    return draw_ms


def bench_paths(count: int) -> None:
    """(c): one new 1080p (or 720p) picture on screen, UI unchanged, per path."""
    from bench.media_bench import clip_frames as frames_of

    print(f"(c) display paths, one new picture to screen with the UI unchanged (mean ms, n={count}):")
    for size in ((1920, 1080), (1280, 720)):
        frames = frames_of(size[0], size[1], 4)
        sink = VideoSink("main")
        for frame in frames:
            sink.deliver(frame)
        picture = sink.slot.take_nowait()
        assert picture is not None
        for path in ("texture", "software"):
            with opened(path) as display:
                kiosk = KioskDraw(display)
                store = kiosk.pictures
                places = kiosk.view.video_layout(kiosk.model, {"main": size}, time.monotonic())
                times = []
                for index in range(count):
                    started = time.perf_counter()
                    store.put("main", picture)
                    display.present(
                        places,
                        store,
                        functools.partial(_draw_still, kiosk),
                        index == 0,
                    )
                    times.append(time.perf_counter() - started)
                scaled = (
                    "GPU-scaled" if path == "texture" else ("CPU-scaled" if size != OUTPUT else "no scaling")
                )
                print(
                    f"    {size[1]}p picture, {path:8s} ({scaled}): "
                    f"{statistics.fmean(times[1:]) * 1000:.2f} ms"
                )
    print("    YUV (IYUV) texture upload: not measured; pygame-ce's _sdl2.video.Texture has no YUV format")
    print(
        f"    SDL renderer here: {os.environ.get('SDL_VIDEODRIVER', 'default')} driver "
        "(SDL's software renderer on dummy)"
    )


# --- (d) the appliance next to a browser kiosk ---------------------------------------------------


def tree(root: psutil.Process, name_part: str | None = None) -> list[psutil.Process]:
    procs = [root, *root.children(recursive=True)]
    if name_part is not None:
        procs = [p for p in procs if name_part in p.name().lower()]
    return procs


def pss_mib(procs: list[psutil.Process]) -> float:
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += proc.memory_full_info().pss
    return total / 2**20


def cpu_s(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def browser_workdir() -> Path | None:
    """Pexip's packages as the conformance tests install them (npm ci), or None with the reason printed."""
    sys.path.insert(0, str(REPO))
    try:
        from tests.support import conformance as harness

        return harness.prepare_workdir()
    except BaseException as exc:  # pytest.skip/fail raise their own BaseExceptions
        print(f"    browser kiosk not measured: {exc}")
        return None


async def bench_browser(window_s: float) -> None:
    print(
        f"(d) appliance with its kiosk vs headless Chromium with Pexip's web client, "
        f"same call, {window_s:.0f} s:"
    )
    workdir = browser_workdir()
    if workdir is None:
        return
    with tempfile.TemporaryFile() as errors:
        await _browser_and_appliance(workdir, window_s, errors)


async def _browser_and_appliance(workdir: Path, window_s: float, errors: Any) -> None:
    from appliance.labnode.app import LabNode
    from appliance.media.ice import use_host_addresses

    use_host_addresses(["127.0.0.1"])
    async with LabNode(host="127.0.0.1", port=0, bots=2, cors_origins=["*"]) as node:
        script = BROWSER_SCRIPT
        await asyncio.to_thread(_copy, script, workdir / script.name)
        browser = await asyncio.create_subprocess_exec(
            "node",
            "--no-deprecation",
            "--import",
            "./register.mjs",
            script.name,
            node.url,
            str(window_s + 30),
            cwd=workdir,
            env=_node_env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
        )
        exe = Path(sys.executable).parent / "appliance"
        appliance = await asyncio.create_subprocess_exec(
            str(exe),
            "demo",
            "--headless",
            "--node",
            node.url,
            "--seconds",
            str(window_s + 30),
            "--profile",
            str(MATCHED_PROFILE),
            # this tree's appliance, not whichever tree the venv's editable install points at
            env=dict(os.environ, SDL_VIDEODRIVER="dummy", PYTHONPATH=_python_path()),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            assert browser.stdout is not None
            async with asyncio.timeout(90):
                while True:
                    line = await browser.stdout.readline()
                    if b"joined" in line:
                        break
                    if not line or line.startswith(b"failed"):
                        with contextlib.suppress(ProcessLookupError):
                            browser.terminate()
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(browser.wait(), 10)
                        errors.seek(0)
                        reason = (line[:500] + errors.read()[-300:]).decode(errors="replace")
                        print(f"    the browser did not join; not measured: {reason}")
                        return
            browser_stats: list[str] = []
            reader = asyncio.create_task(_keep_stats(browser.stdout, browser_stats))
            await asyncio.sleep(8.0)  # both settled in the call
            received0 = _node_frames(node)
            browser_procs = tree(psutil.Process(browser.pid), "chrom")
            appliance_procs = tree(psutil.Process(appliance.pid))
            cpu0 = cpu_s(browser_procs), cpu_s(appliance_procs)
            pss = [], []
            started = time.monotonic()
            while time.monotonic() - started < window_s:
                pss[0].append(pss_mib(tree(psutil.Process(browser.pid), "chrom")))
                pss[1].append(pss_mib(tree(psutil.Process(appliance.pid))))
                await asyncio.sleep(1.0)
            elapsed = time.monotonic() - started
            received1 = _node_frames(node)
            cpu = [
                (cpu_s(procs) - before) / elapsed
                for procs, before in zip((browser_procs, appliance_procs), cpu0, strict=True)
            ]
            b_pss, a_pss = statistics.median(pss[0]), statistics.median(pss[1])
            print(
                f"    browser (Chromium, {len(browser_procs)} processes): PSS {b_pss:.0f} MiB, "
                f"CPU {cpu[0]:.1%} of a core"
            )
            print(f"    appliance (one process + kiosk):  PSS {a_pss:.0f} MiB, CPU {cpu[1]:.1%} of a core")
            print(
                f"    appliance / browser: memory {a_pss / b_pss:.2f} (target <= 0.15), "
                f"CPU {cpu[1] / cpu[0]:.2f} (target <= 0.5)"
            )
            for name, (codecs, frames) in sorted(received1.items()):
                sent_fps = (frames - received0.get(name, ("", frames))[1]) / elapsed
                print(f"    node side, {name}: codecs {codecs}; video it sent {sent_fps:.1f} fps")
            reader.cancel()
            if browser_stats:
                print(f"    browser's own view: {browser_stats[-1]}")
        finally:
            for proc in (browser, appliance):
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
            for proc in (browser, appliance):
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(proc.wait(), 15)


async def _keep_stats(stream: asyncio.StreamReader, into: list[str]) -> None:
    """Keep the browser's "stats {json}" lines (what it sends and shows)."""
    while line := await stream.readline():
        if line.startswith(b"stats "):
            into.append(line[6:].decode(errors="replace").strip())


def _node_frames(node: Any) -> dict[str, tuple[str, int]]:
    """Per participant in meet: the codecs negotiated and the video frames the node decoded from it."""
    conference = node.conference("meet")
    hub = conference.hub
    found: dict[str, tuple[str, int]] = {}
    for call in getattr(hub, "_calls", {}).values():  # the lab node's own bookkeeping, read in-process
        member = conference.members.get(call.participant_uuid)
        name = member.participant.display_name if member is not None else call.participant_uuid[:8]
        stats = call.statistics()
        codecs = ",".join(sorted({c.split("/")[-1] for c in stats["codecs"].values()}))
        found[name] = (codecs, int(stats["frames_decoded"].get("video", 0)))
    return found


def _draw_still(kiosk: KioskDraw, target: pygame.Surface) -> None:
    kiosk.view.draw_ui(target, kiosk.model, 0.0, datetime.datetime.now())


def _copy(source: Path, target: Path) -> None:
    target.write_bytes(source.read_bytes())


def _python_path() -> str:
    return os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)


def _node_env() -> dict[str, str]:
    from tests.support import conformance as harness

    return harness.node_env()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench ui", description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="more pairs and a longer window")
    parser.add_argument("--no-browser", action="store_true", help="skip (d)")
    parser.add_argument("--browser-only", action="store_true", help="only (d)")
    args = parser.parse_args(argv)
    pairs, frames, window = (7, 240, 30.0) if args.long else (3, 120, 15.0)
    selection = install_codecs()
    print(
        f"decoder {selection.h264_decoder.name}; output {OUTPUT[0]}x{OUTPUT[1]}; "
        f"SDL {os.environ['SDL_VIDEODRIVER']}"
    )
    if not args.browser_only:
        bench_receive_draw(pairs, frames)
        bench_paths(30)
    if not args.no_browser:
        asyncio.run(bench_browser(window))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
