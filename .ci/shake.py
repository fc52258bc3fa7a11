#!/usr/bin/env python3
"""Shake out races: repeat tests N times, alternately on an idle machine and beside a busy core.

    python3 .ci/bootstrap.py shake [--runs N] [--per-run-timeout S] [-- pytest args]

Timing decides whether a race shows: a hang seen 3 times in 6 on an idle
machine was seen 0 times in 4 beside a CPU-bound process (docs/testing.md).
So odd runs are idle and even runs start a CPU hog (a child process spinning
on one core) for their duration. Each run is a separate pytest process with
the project's hard per-test deadlines; a run that outlives
``--per-run-timeout`` is killed and counted as a hang. The last line is
``N passed, N failed`` over runs, with hangs counted among the failures.

By default it runs the media tests (``tests/media``), which carry
real WebRTC through aiortc on threads and are where timing matters.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def hog() -> subprocess.Popen[bytes]:
    """A process that keeps one core busy until killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)


def one_run(python: str, pytest_args: list[str], timeout: float) -> tuple[str, float, str]:
    started = time.monotonic()
    proc = subprocess.Popen(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return "hang", time.monotonic() - started, out
    outcome = "pass" if proc.returncode == 0 else "fail"
    return outcome, time.monotonic() - started, out


def main(argv: list[str], python: str = sys.executable) -> int:
    parser = argparse.ArgumentParser(prog="bootstrap.py shake", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="how many runs (half idle, half busy)")
    parser.add_argument("--per-run-timeout", type=float, default=900.0, help="seconds before a run is a hang")
    parser.add_argument("pytest_args", nargs="*", help="what to run (default: tests/media)")
    options = parser.parse_args(argv)
    pytest_args = options.pytest_args or ["tests/media"]
    counts = {"pass": 0, "fail": 0, "hang": 0}
    began = time.monotonic()
    for run in range(1, options.runs + 1):
        busy = run % 2 == 0
        spinner = hog() if busy else None
        try:
            outcome, seconds, out = one_run(python, pytest_args, options.per_run_timeout)
        finally:
            if spinner is not None:
                os.killpg(spinner.pid, signal.SIGKILL)
                spinner.wait()
        counts[outcome] += 1
        summary = out.strip().splitlines()[-1] if out.strip() else ""
        load = "busy" if busy else "idle"
        print(f"run {run:2d} {load}: {outcome} in {seconds:.0f} s  {summary}", flush=True)
        if outcome != "pass":
            print(out[-6000:], flush=True)
    total = time.monotonic() - began
    print(f"shake: {options.runs} runs in {total:.0f} s: {counts['fail']} failed, {counts['hang']} hung")
    print(f"{counts['pass']} passed, {counts['fail'] + counts['hang']} failed")
    return 0 if counts["pass"] == options.runs else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
