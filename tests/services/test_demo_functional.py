"""The demo: lab node with bots, the appliance joining with real media, frames back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from appliance.services.demo import DemoOptions, run_demo

pytestmark = pytest.mark.media

BOT_COLOURS = {  # what the lab node's bots paint (appliance.labnode.media.bots)
    "red": np.array([220, 50, 50]),
    "blue": np.array([40, 100, 240]),
    "green": np.array([40, 180, 80]),
}


def _decode_png(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    return frame.to_ndarray(format="rgb24")


def _dominant(image: np.ndarray) -> str:
    """Which bot colour fills the main-speaker area of a 1:7 layout (upper middle)."""
    height, width, _ = image.shape
    patch = image[height // 6 : height // 2, width // 3 : 2 * width // 3].reshape(-1, 3).mean(axis=0)
    return min(BOT_COLOURS, key=lambda name: float(np.linalg.norm(BOT_COLOURS[name] - patch)))


async def test_demo_joins_and_receives_the_composed_stream(tmp_path: Path) -> None:
    summary = await run_demo(DemoOptions(seconds=4, bots=2, screenshots=tmp_path, screenshot_every_s=1.0))
    assert summary.error is None
    assert summary.joined
    assert summary.frames_received >= 20  # 15 fps for 4 s, with margin for a loaded machine
    assert summary.participants_seen >= 3  # two bots and ourselves
    assert summary.first_frame_ms is not None and summary.first_frame_ms > 0
    # ci-virtual prefers h264_v4l2m2m, which cannot open here: the software fallback decodes
    assert summary.decoder == "h264"


async def test_demo_screenshots_show_a_bot_as_main_speaker(tmp_path: Path) -> None:
    summary = await run_demo(DemoOptions(seconds=3, bots=2, screenshots=tmp_path, screenshot_every_s=1.0))
    assert summary.screenshots, summary
    image = _decode_png(Path(summary.screenshots[-1]))
    assert image.shape == (360, 640, 3)
    # The main tile is a bot's solid colour, not black: the pixels came through the call.
    assert _dominant(image) in ("red", "blue")


async def test_demo_reports_a_node_that_cannot_be_reached() -> None:
    summary = await run_demo(DemoOptions(seconds=1, node_url="http://127.0.0.1:9", join_timeout_s=5))
    assert not summary.joined
    assert summary.error


def test_demo_command_prints_a_json_summary_last(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "appliance"
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    result = subprocess.run(
        [str(exe), "demo", "--seconds", "3", "--headless", "--bots", "1", "--screenshots", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["joined"] is True
    assert summary["frames_received"] > 0
    assert {"joined", "frames_received", "participants_seen", "first_frame_ms", "decoder"} <= summary.keys()
    assert list(tmp_path.glob("*.png"))
