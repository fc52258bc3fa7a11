"""No test can hold the run: a test that blocks forever fails within its budget, with stacks.

Each case writes a test that never finishes into a scratch folder and runs
pytest on it in a child process, with this project's deadline plugin and a
short budget, so the behaviour is checked as CI would meet it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_pytest(folder: Path, source: str, budget_s: int) -> subprocess.CompletedProcess[str]:
    (folder / "test_blocks_forever.py").write_text(source)
    env = dict(os.environ, PYTHONPATH=str(ROOT), APPLIANCE_TEST_HARD_MARGIN_S="2")
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.support.deadline",
            "-o", f"timeout={budget_s}", "-o", "timeout_method=thread", "-o", "asyncio_mode=auto",
            str(folder),
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip


def test_deadline_fails_a_coroutine_test_that_awaits_forever_and_the_run_goes_on(tmp_path: Path) -> None:
    result = run_pytest(
        tmp_path,
        "import asyncio\n\n"
        "async def test_awaits_forever():\n"
        "    await asyncio.Event().wait()\n\n"
        "def test_after_it():\n"
        "    assert True\n",
        budget_s=3,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "did not finish within its 2 s deadline" in result.stdout
    assert "--- task" in result.stdout and "test_awaits_forever" in result.stdout
    assert "1 failed, 1 passed" in result.stdout


def test_deadline_ends_a_run_whose_test_blocks_a_thread_forever_with_every_stack(tmp_path: Path) -> None:
    result = run_pytest(
        tmp_path,
        "import threading\n\ndef test_blocks_forever():\n    threading.Event().wait()\n",
        budget_s=3,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Timeout" in output and "test_blocks_forever" in output  # pytest-timeout's stack dump


def test_deadline_ends_a_run_whose_test_blocks_in_c_holding_the_gil(tmp_path: Path) -> None:
    result = run_pytest(
        tmp_path,
        "import ctypes\n\n"
        "def test_holds_the_gil():\n"
        "    ctypes.PyDLL(None).pause()  # PyDLL keeps the GIL: no Python thread can run\n",
        budget_s=3,
    )
    assert result.returncode != 0
    assert "Timeout" in result.stderr and "test_holds_the_gil" in result.stderr  # faulthandler's dump
