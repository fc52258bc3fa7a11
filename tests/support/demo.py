"""Running ``appliance demo`` headless as a person would, and reading its JSON summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_demo_command(tmp_path: Path, *args: str, timeout: float = 150) -> tuple[int, dict[str, Any], str]:
    """Exit code, the JSON summary (the last line printed) and the end of stderr."""
    exe = Path(sys.executable).parent / "appliance"
    # the tree under test, ahead of the installed package (an editable install points at one
    # checkout; a worktree's tests must run the worktree's demo)
    tree = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (tree, os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", PYTHONPATH=path)
    result = subprocess.run(
        [str(exe), "demo", "--headless", "--screenshots", str(tmp_path), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    return result.returncode, json.loads(result.stdout.strip().splitlines()[-1]), result.stderr[-2000:]
