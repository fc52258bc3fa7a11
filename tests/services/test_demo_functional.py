"""The demo: the lab node with bots, the room controller joining it, the kiosk showing it headless."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from tests.support.demo import run_demo_command

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
    """Which bot colour fills the main-speaker area of the composed 1:7 layout (upper middle)."""
    height, width, _ = image.shape
    patch = image[height // 4 : height // 2, width // 3 : 2 * width // 3].reshape(-1, 3).mean(axis=0)
    return min(BOT_COLOURS, key=lambda name: float(np.linalg.norm(BOT_COLOURS[name] - patch)))


def test_demo_joins_and_the_kiosk_shows_the_call(tmp_path: Path) -> None:
    code, summary, stderr = run_demo_command(tmp_path, "--seconds", "4", "--bots", "2")
    assert code == 0, stderr
    assert summary["joined"] is True
    assert summary["frames_received"] >= 20  # 15 fps for 4 s, with margin for a loaded machine
    assert summary["participants_seen"] >= 3  # two bots and ourselves
    assert summary["first_frame_ms"] > 0
    assert summary["decoder"] == "h264"  # ci-virtual prefers h264_v4l2m2m, which cannot open here
    assert summary["frames_drawn"] > 0 and summary["frames_dropped"] >= 0
    assert {"splash", "in-call", "roster"} <= set(summary["screens_visited"])
    assert summary["ptz_camera"] is True  # ci-virtual's fake VISCA camera, driven by the room
    assert len(summary["camera_position"]) == 3


def test_demo_screenshot_shows_a_bot_through_the_kiosk(tmp_path: Path) -> None:
    code, summary, stderr = run_demo_command(tmp_path, "--seconds", "3", "--bots", "2")
    assert code == 0, stderr
    in_call = next(Path(p) for p in summary["screenshots"] if p.endswith("in-call.png"))
    image = _decode_png(in_call)
    assert image.shape == (720, 1280, 3)  # the ci-virtual profile's display, the whole kiosk
    assert _dominant(image) in ("red", "blue")


def test_demo_tour_goes_through_every_screen(tmp_path: Path) -> None:
    code, summary, stderr = run_demo_command(tmp_path, "--tour", "--bots", "2", timeout=240)
    assert code == 0, stderr
    expected = {"splash", "standby", "pin", "in-call", "toast", "roster", "help", "presentation", "error"}
    assert expected <= set(summary["screens_visited"]), summary["screens_visited"]
    names = {Path(p).stem.split("-", 1)[1] for p in summary["screenshots"]}
    assert {"pin", "in-call", "presentation", "muted-by-host", "standby", "error"} <= names


def test_demo_reports_a_node_that_cannot_be_reached(tmp_path: Path) -> None:
    code, summary, _ = run_demo_command(
        tmp_path, "--seconds", "1", "--node", "http://127.0.0.1:9", timeout=90
    )
    assert code == 1
    assert summary["joined"] is False
    assert summary["error"]
