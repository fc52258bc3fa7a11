#!/usr/bin/env python3
"""The newcomer check: the README's two commands in a fresh, minimal Debian 12 root.

    python3 .ci/bootstrap.py newcomer [--keep] [--root DIR] [--suite bookworm]

Builds a minbase Debian root with mmdebstrap holding only ``python3``,
``python3-pip``, ``git`` and CA certificates (what a newcomer's machine
has), clones this checkout's HEAD into it, and runs in a chroot, as root:

    python3 .ci/bootstrap.py demo --seconds 10 --headless
    CI=true python3 .ci/bootstrap.py test

printing each command's exit status and time. Anything either command
needs beyond that root must come from the commands themselves (apt-get for
``python3-venv`` and ``chromium``, PyPI for the rest). Takes minutes; not
part of the test command. Needs root, ``mmdebstrap`` (installed with
apt-get when missing) and the package registries.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = "python3,python3-pip,git,ca-certificates"


def say(message: str) -> None:
    print(f"[newcomer] {message}", flush=True)


def sh(cmd: list[str], **kwargs: object) -> int:
    say("$ " + " ".join(cmd))
    return subprocess.call(cmd, **kwargs)  # type: ignore[arg-type]


def build_root(root: Path, suite: str) -> None:
    if not shutil.which("mmdebstrap"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.call(["apt-get", "update", "-qq"], env=env)
        if subprocess.call(["apt-get", "install", "-y", "-qq", "mmdebstrap"], env=env) != 0:
            sys.exit("[newcomer] could not install mmdebstrap")
    if sh(["mmdebstrap", "--variant=minbase", f"--include={PACKAGES}", suite, str(root)]) != 0:
        sys.exit("[newcomer] mmdebstrap failed")


def trust_local_certificates(root: Path) -> None:
    """Give the root this machine's local CA certificates (``/usr/local/share/ca-certificates``).

    A network whose egress goes through a TLS-inspecting proxy hands every
    machine on it that CA; a newcomer's machine there has it too. Without
    it the root reaches no package registry, which says nothing about the
    project.
    """
    local = Path("/usr/local/share/ca-certificates")
    certificates = sorted(local.glob("*.crt")) if local.is_dir() else []
    if not certificates:
        return
    target = root / "usr" / "local" / "share" / "ca-certificates"
    target.mkdir(parents=True, exist_ok=True)
    for certificate in certificates:
        shutil.copy(certificate, target / certificate.name)
    subprocess.call(["chroot", str(root), "update-ca-certificates"], stdout=subprocess.DEVNULL)


def in_chroot(root: Path, command: str) -> tuple[int, float]:
    """Run ``command`` with bash in the root, /proc /sys /dev mounted; (exit status, seconds)."""
    mounts = [("proc", root / "proc", ["-t", "proc"]), ("sysfs", root / "sys", ["-t", "sysfs"])]
    binds = [Path("/dev"), Path("/dev/pts")]
    done: list[Path] = []
    try:
        for source, target, how in mounts:
            subprocess.check_call(["mount", *how, source, str(target)])
            done.append(target)
        for source in binds:
            target = root / source.relative_to("/")
            target.mkdir(parents=True, exist_ok=True)
            subprocess.check_call(["mount", "--bind", str(source), str(target)])
            done.append(target)
        shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
        trust_local_certificates(root)
        started = time.monotonic()
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
        if (root / "usr" / "local" / "share" / "ca-certificates").is_dir():
            # Node.js keeps its own CA list; the local ones reach it only this way
            env["NODE_EXTRA_CA_CERTS"] = "/etc/ssl/certs/ca-certificates.crt"
        status = subprocess.call(["chroot", str(root), "bash", "-lc", command], env=env)
        return status, time.monotonic() - started
    finally:
        for target in reversed(done):
            subprocess.call(["umount", "-l", str(target)])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bootstrap.py newcomer", description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, help="where to build the root (default: a temporary folder)")
    parser.add_argument("--suite", default="bookworm")
    parser.add_argument("--keep", action="store_true", help="keep the root afterwards")
    options = parser.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("[newcomer] needs root (mmdebstrap and chroot)")
    root = options.root or Path(tempfile.mkdtemp(prefix="newcomer-"))
    try:
        started = time.monotonic()
        if (root / "usr" / "bin" / "python3").exists():
            say(f"reusing the root in {root} (delete it for a fresh one)")
        else:
            build_root(root, options.suite)
        say(f"root built in {time.monotonic() - started:.0f} s")
        project = root / "root" / "project"
        shutil.rmtree(project, ignore_errors=True)
        if sh(["git", "clone", "-q", str(ROOT), str(project)]) != 0:
            sys.exit("[newcomer] git clone failed")
        results = []
        for label, command in (
            ("demo", "cd /root/project && python3 .ci/bootstrap.py demo --seconds 10 --headless"),
            ("test", "cd /root/project && CI=true python3 .ci/bootstrap.py test"),
        ):
            status, seconds = in_chroot(root, command)
            results.append((label, status, seconds))
            say(f"{label}: exit {status} in {seconds:.0f} s")
        for label, status, seconds in results:
            print(f"newcomer {label}: exit {status}, {seconds:.0f} s")
        return 0 if all(status == 0 for _, status, _ in results) else 1
    finally:
        if not options.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
