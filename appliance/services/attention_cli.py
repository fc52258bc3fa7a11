"""``appliance needs-attention``: what the box says when the daemon gave up restarting.

systemd starts it (``appliance-needs-attention.service``, the daemon unit's
``OnFailure=``) once the daemon failed ``StartLimitBurst`` times within
``StartLimitIntervalSec``: the room stops retrying instead of looping, and
this prints on the console and into the journal what happened and what to
do (docs/daemon.md, "systemd").
"""

from __future__ import annotations

import argparse
import shutil
import subprocess


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--unit", default="appliance.service", help="the unit that failed")
    parser.add_argument("--lines", type=int, default=10, help="how many of its last error lines to show")


def last_errors(unit: str, lines: int) -> list[str]:
    """The unit's last error lines from this boot's journal ([] where journalctl is missing)."""
    journalctl = shutil.which("journalctl")
    if journalctl is None:
        return []
    try:
        done = subprocess.run(
            [journalctl, "-u", unit, "-b", "-p", "err", "-n", str(lines), "-o", "cat", "--no-pager"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line for line in done.stdout.splitlines() if line.strip()]


def message(unit: str, errors: list[str]) -> str:
    text = [
        f"NEEDS ATTENTION: {unit} failed repeatedly and is no longer restarted.",
        "The room is not in its meeting. What went wrong last:",
        *(f"  {line}" for line in errors or ["(no error lines in this boot's journal)"]),
        f"Details: journalctl -u {unit} -b",
        f"Once fixed: systemctl reset-failed {unit} && systemctl start {unit}",
    ]
    return "\n".join(text)


def run(args: argparse.Namespace) -> int:
    print(message(args.unit, last_errors(args.unit, args.lines)), flush=True)
    return 0
