"""The RAUC backend for the Pi's tryboot (image/rootfs/usr/lib/appliance/rauc-tryboot), run on a folder.

The boot partition is a folder, /proc/cmdline a file: the same shell script
the image runs, exercised for the A/B decisions RAUC asks of it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

BACKEND = (
    Path(__file__).resolve().parents[2] / "image" / "rootfs" / "usr" / "lib" / "appliance" / "rauc-tryboot"
)
CONFIG = (Path(__file__).resolve().parents[2] / "image" / "boot" / "config.txt").read_text()


class Board:
    def __init__(self, tmp_path: Path) -> None:
        self.boot = tmp_path / "boot"
        self.boot.mkdir()
        (self.boot / "config.txt").write_text(CONFIG)
        self.cmdline = tmp_path / "cmdline"
        self.state = tmp_path / "state"
        self.boot_into("A", tryboot=False)

    def boot_into(self, slot: str, *, tryboot: bool) -> None:
        flag = " appliance.tryboot=1" if tryboot else ""
        self.cmdline.write_text(f"console=tty1 ro rauc.slot={slot}{flag}\n")

    def backend(self, *args: str) -> str:
        env = dict(
            os.environ,
            APPLIANCE_BOOT_DIR=str(self.boot),
            APPLIANCE_CMDLINE=str(self.cmdline),
            APPLIANCE_RAUC_STATE=str(self.state),
            APPLIANCE_DEVICE_TREE=str(self.boot / "no-device-tree"),
        )
        out = subprocess.run(["sh", str(BACKEND), *args], env=env, capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def committed(self) -> str:
        lines = (self.boot / "config.txt").read_text().splitlines()
        return next(line for line in lines if line.startswith("os_prefix="))


@pytest.fixture
def board(tmp_path: Path) -> Board:
    return Board(tmp_path)


def test_rauc_tryboot_fresh_card_boots_slot_a(board: Board) -> None:
    assert board.backend("get-primary") == "A"
    assert board.backend("get-current") == "A"
    assert board.backend("get-state", "B") == "good"


def test_rauc_tryboot_set_primary_writes_only_the_one_shot_file(board: Board) -> None:
    board.backend("set-primary", "B")
    assert "os_prefix=b/" in (board.boot / "tryboot.txt").read_text()
    assert board.committed() == "os_prefix=a/"
    assert board.backend("get-primary") == "B"


def test_rauc_tryboot_good_while_tried_commits_the_slot(board: Board) -> None:
    board.backend("set-primary", "B")
    board.boot_into("B", tryboot=True)
    board.backend("set-state", "B", "good")
    assert board.committed() == "os_prefix=b/"
    assert not (board.boot / "tryboot.txt").exists()


def test_rauc_tryboot_good_without_tryboot_does_not_commit(board: Board) -> None:
    board.backend("set-primary", "B")
    board.backend("set-state", "A", "good")
    assert board.committed() == "os_prefix=a/"
    assert (board.boot / "tryboot.txt").exists()


def test_rauc_tryboot_bad_try_is_forgotten(board: Board) -> None:
    board.backend("set-primary", "B")
    board.backend("set-state", "B", "bad")
    assert not (board.boot / "tryboot.txt").exists()
    assert board.committed() == "os_prefix=a/"
    assert board.backend("get-state", "B") == "bad"
    assert board.backend("get-primary") == "A"
