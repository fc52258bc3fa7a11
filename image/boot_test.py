#!/usr/bin/env python3
"""Boot the built SD-card image in qemu-system-aarch64 (``virt``) and check it as a room would be checked.

    python3 image/boot_test.py [--out image/out] [--quick]

What the emulator can and cannot do (image/README.md, "Emulated test"): the
Raspberry Pi's boot firmware (start4.elf, config.txt, os_prefix, tryboot)
cannot run in ``virt``. This script plays the firmware's part with the same
files: it reads config.txt (or, for one boot after a tryboot request,
tryboot.txt) from the image's boot partition, takes that slot folder's
vmlinuz, initrd.img and cmdline.txt, and starts QEMU with them, the whole
image as the virtio disk. Everything after the kernel starts is the image's own.

The test's agent (emulator/agent.sh) runs in the guest through systemd.run=
on the kernel command line; it starts the lab node on the guest's loopback
(WebRTC media stays on one host, as in the demo) and prints IMAGE-TEST lines.

Scenario (each step needs the one before):
  1. fresh card, slot A: READY, joins the lab node's meeting with media; root
     read-only, no password login, no getty, SSH off, no host keys, watchdog on;
     then installs the signed update bundle into slot B and reboots with tryboot
  2. slot B tried: READY, the update guard commits B (config.txt -> b/);
     then installs a bundle whose appliance cannot start into slot A
  3. slot A tried: not READY, the guard reboots without tryboot
  4. the "firmware" boots the committed slot B again: READY, A marked bad
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build  # noqa: E402
import layout  # noqa: E402

SITE = """\
[appliance]
profile = "auto"
room_name = "Emulated room"
log_level = "info"

[node]
address = "http://127.0.0.1:8080"

[conference]
alias = "meet"
display_name = "Emulated room"
call_type = "video"
bandwidth_kbps = 512

[join]
auto_join = true
rejoin = "always"
backoff_initial_s = 2
backoff_max_s = 5
"""
BROKEN_DROPIN = "[Service]\nExecStart=\nExecStart=/bin/false\nRestart=no\n"
BOOT_TIMEOUT_S = 1500


def say(message: str) -> None:
    print(f"[image-test] {message}", flush=True)


class Card:
    """The image file as the firmware sees it: its FAT boot partition, through mtools."""

    def __init__(self, image: Path) -> None:
        self.image = image
        offset, _size = layout.offsets()["boot"]
        self.fat = f"{image}@@{offset}"

    def _mtools(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"}
        return subprocess.run([*cmd], capture_output=True, text=True, check=check, env=env)

    def read(self, name: str) -> str | None:
        result = self._mtools("mtype", "-i", self.fat, f"::{name}", check=False)
        return result.stdout if result.returncode == 0 else None

    def write(self, name: str, text: str) -> None:
        with tempfile.NamedTemporaryFile("w", delete=False) as handle:
            handle.write(text)
        self._mtools("mcopy", "-o", "-i", self.fat, handle.name, f"::{name}")
        Path(handle.name).unlink()

    def put(self, src: Path, name: str) -> None:
        self._mtools("mcopy", "-o", "-i", self.fat, str(src), f"::{name}")

    def delete(self, name: str) -> None:
        self._mtools("mdel", "-i", self.fat, f"::{name}", check=False)

    def get(self, name: str, dest: Path) -> None:
        self._mtools("mcopy", "-o", "-n", "-i", self.fat, f"::{name}", str(dest))

    @staticmethod
    def prefix(config: str) -> str:
        found = re.findall(r"^os_prefix=([ab])/$", config, re.MULTILINE)
        if not found:
            raise SystemExit("[image-test] config.txt names no os_prefix: the card cannot boot")
        return found[-1]


def boot(card: Card, work: Path, update_disk: Path | None, label: str) -> dict[str, str]:
    """One power-on: the firmware's choice of slot, then QEMU until the guest powers off or reboots."""
    tryboot = card.read("tryboot.req") is not None
    if tryboot:
        card.delete("tryboot.req")  # the flag is one-shot, as the firmware's is
        config = card.read("tryboot.txt") or ""
    else:
        config = card.read("config.txt") or ""
    prefix = Card.prefix(config)
    for name in ("vmlinuz", "initrd.img", "cmdline.txt"):
        card.get(f"{prefix}/{name}", work / name)
    cmdline = (work / "cmdline.txt").read_text().split()
    drop = ("console=", "quiet", "loglevel=", "systemd.show_status=")
    cmdline = [word for word in cmdline if not word.startswith(drop)]
    cmdline += [
        "console=ttyAMA0",
        'systemd.run="/bin/sh /boot/firmware/image-test-agent.sh"',
        # systemd.run= alone makes its command the default target: the room's units would never
        # start. The normal target, with the agent wanted by it, is a normal boot plus the agent.
        "systemd.unit=multi-user.target",
        "systemd.wants=kernel-command-line.service",
        "systemd.run_success_action=none",
        "systemd.run_failure_action=none",
    ]
    if tryboot:
        cmdline.append("appliance.tryboot=1")
    qemu = [
        "qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-smp", "2", "-m", "2048",
        "-kernel", str(work / "vmlinuz"), "-initrd", str(work / "initrd.img"), "-append", " ".join(cmdline),
        "-drive", f"file={card.image},format=raw,if=virtio",
        # user-mode network, restricted: DHCP for the guest, nothing reaches beyond it
        "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0",
        "-device", "i6300esb", "-nographic", "-no-reboot",
    ]  # fmt: skip
    if update_disk is not None:
        qemu += ["-drive", f"file={update_disk},format=raw,if=virtio,readonly=on"]
    say(f"boot {label}: slot {prefix}/ {'(tryboot)' if tryboot else ''}")
    log_path = work / f"serial-{label}.log"
    started = time.monotonic()
    report: dict[str, str] = {"slot_dir": prefix, "tryboot": str(tryboot)}
    with (
        log_path.open("w") as log,
        subprocess.Popen(
            qemu,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            errors="replace",
        ) as proc,
    ):
        assert proc.stdout is not None
        # A guest that hangs silently prints nothing: the timer, not the next line, ends it.
        timer = threading.Timer(BOOT_TIMEOUT_S, proc.kill)
        timer.start()
        try:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                if "IMAGE-TEST " in line:
                    key, _, value = line.split("IMAGE-TEST ", 1)[1].strip().partition(" ")
                    report[key] = value
                    report[f"{key}_host_s"] = f"{time.monotonic() - started:.1f}"
                    say(f"  {key}: {value}")
        finally:
            timer.cancel()
            if proc.poll() is None:
                proc.wait(timeout=60)
        if time.monotonic() - started >= BOOT_TIMEOUT_S:
            report["timeout"] = str(BOOT_TIMEOUT_S)
            say(f"boot {label}: TIMEOUT after {BOOT_TIMEOUT_S} s; last serial lines:")
            for tail in log_path.read_text(errors="replace").splitlines()[-15:]:
                say(f"  | {tail}")
    report["wall_s"] = f"{time.monotonic() - started:.1f}"
    say(f"boot {label}: guest stopped after {report['wall_s']} s (serial log {log_path})")
    return report


def update_disk(bundle: Path, dest: Path) -> Path:
    """A small ext4 disk holding the bundle, as a USB stick would (the guest's /dev/vdb)."""
    staging = dest.with_suffix(".d")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    shutil.copy2(bundle, staging / "update.raucb")
    size_mib = bundle.stat().st_size // layout.MIB + 64
    dest.unlink(missing_ok=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", str(staging), str(dest), f"{size_mib}M"], check=True)
    shutil.rmtree(staging)
    return dest


def broken_bundle(out: Path, summary: dict[str, object], work: Path) -> Path:
    """The same root with a drop-in that makes appliance.service fail: an update that never gets READY."""
    good = out / "work" / "parts" / "root.ext4"
    root = work / "broken-root.ext4"
    subprocess.run(["cp", "--sparse=always", str(good), str(root)], check=True)
    dropin = work / "broken.conf"
    dropin.write_text(BROKEN_DROPIN)
    commands = work / "debugfs.cmd"
    commands.write_text(
        "mkdir /etc/systemd/system/appliance.service.d\n"
        f"write {dropin} /etc/systemd/system/appliance.service.d/broken.conf\n"
    )
    subprocess.run(["debugfs", "-w", "-f", str(commands), str(root)], check=True, capture_output=True)
    cert, key = build.signing_material(build_cache(), None, None)
    version = f"{summary.get('version', '0')}-broken"
    return build.build_bundle(root, work, "broken", version, cert, key)


def build_cache() -> Path:
    import os

    return Path(os.environ.get("IMAGE_CACHE", "/work/image-cache"))


def record(figures: dict[str, object], label: str, report: dict[str, str]) -> None:
    """One boot's measured times: wall time, kernel start to READY, the bundle's install time."""
    figures[f"{label}_wall_s"] = float(report["wall_s"])
    ready = report.get("ready", "").split()
    if len(ready) == 2 and ready[0] == "active":
        figures[f"{label}_kernel_to_ready_s"] = round(int(ready[1]) / 1e6, 1)
    if "install-s" in report:
        figures[f"{label}_install_s"] = float(report["install-s"])


def check(results: list[tuple[str, bool, str]], name: str, ok: bool, detail: str) -> bool:
    results.append((name, ok, detail))
    say(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--quick", action="store_true", help="first boot only (READY, call, hygiene)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    summary_file = out / "build.json"
    if not summary_file.exists():
        sys.exit("[image-test] no built image: run `python3 .ci/bootstrap.py image` first")
    if shutil.which("qemu-system-aarch64") is None:
        sys.exit("[image-test] qemu-system-aarch64 is missing: apt-get install qemu-system-arm")
    summary = json.loads(summary_file.read_text())
    work = out / "test"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    image = work / "card.img"
    subprocess.run(["cp", "--sparse=always", summary["image"], str(image)], check=True)
    card = Card(image)
    # What a technician does on any computer: the site file onto the boot partition.
    card.write("appliance.toml", SITE)
    card.put(HERE / "emulator" / "agent.sh", "image-test-agent.sh")
    card.put(HERE / "emulator" / "observer.py", "image-test-observer.py")
    results: list[tuple[str, bool, str]] = []
    figures: dict[str, object] = {
        "image_mib": summary["image_mib"],
        "image_xz_mib": summary.get("image_xz_mib"),
        "bundle_mib": summary.get("bundle_mib"),
    }

    good_disk = update_disk(Path(summary["bundle"]), work / "update-good.img")
    if not args.quick:
        card.write("image-test-install", "install\n")
    first = boot(card, work, None if args.quick else good_disk, "1-slotA")
    ready = first.get("ready", "missing").split()
    check(
        results,
        "root read-only",
        first.get("root-writable") == "no" and first.get("root-options", "").startswith("ro"),
        first.get("root-options", "?"),
    )
    check(
        results,
        "no password login",
        first.get("password-accounts") == "[]",
        f"accounts with a usable password: {first.get('password-accounts')}",
    )
    check(
        results,
        "no console login",
        "active" not in first.get("getty", "active").split(),
        f"getty@tty1, serial-getty@ttyAMA0: {first.get('getty')}",
    )
    check(
        results, "SSH off without a key file", first.get("ssh") != "active", f"ssh.service {first.get('ssh')}"
    )
    check(results, "no host keys shipped", first.get("host-keys") == "[]", str(first.get("host-keys")))
    check(results, "watchdog", first.get("watchdog", "").startswith("15s"), str(first.get("watchdog")))
    check(results, "data partition writable", first.get("data", "").startswith("rw"), str(first.get("data")))
    if ready and ready[0] == "not-found":
        check(
            results,
            "READY",
            False,
            "appliance.service is not in the image: systemd/appliance.service "
            "(the room-daemon issue) has not landed on main, so READY cannot be reached",
        )
    elif ready and ready[0] == "site-failed":
        check(
            results,
            "READY",
            False,
            f"appliance-site.service refused the site file: {first.get('site-error')}",
        )
    elif ready and ready[0] == "active":
        ready_s = int(ready[1]) / 1e6
        figures["kernel_to_ready_s"] = round(ready_s, 1)
        check(results, "READY", True, f"{ready_s:.1f} s after kernel start")
        call = first.get("call", "missing").split()
        if call[0] == "joined":
            figures["kernel_to_call_s"] = float(call[1])
        check(results, "joins the lab node's meeting with media", call[0] == "joined", first.get("call", "?"))
    else:
        check(results, "READY", False, f"appliance.service ended {first.get('ready')}")
    record(figures, "boot1", first)

    if not args.quick:
        check(
            results,
            "update bundle installs into slot B",
            first.get("install") == "ok",
            str(first.get("install")),
        )
        if first.get("install") == "ok":
            broken = broken_bundle(out, summary, work)
            broken_disk = update_disk(broken, work / "update-broken.img")
            card.write("image-test-install", "install\n")
            second = boot(card, work, broken_disk, "2-slotB-tryboot")
            record(figures, "boot2", second)
            committed = Card.prefix(card.read("config.txt") or "")
            check(
                results,
                "updated slot boots (tryboot) and is committed",
                second.get("booted-slot") == "B" and committed == "b",
                f"booted {second.get('booted-slot')}, config.txt os_prefix={committed}/; "
                f"{second.get('guard')}",
            )
            if second.get("install") == "ok":
                third = boot(card, work, None, "3-slotA-broken-tryboot")
                record(figures, "boot3", third)
                check(
                    results,
                    "broken update does not reach READY",
                    third.get("ready", "").split()[:1] != ["active"],
                    f"appliance.service {third.get('ready')}",
                )
                fourth = boot(card, work, None, "4-fallback")
                record(figures, "boot4", fourth)
                check(
                    results,
                    "falls back to the committed slot",
                    fourth.get("booted-slot") == "B" and fourth.get("ready", "").startswith("active"),
                    f"booted {fourth.get('booted-slot')}; {fourth.get('guard')}; {fourth.get('rauc')}",
                )
            else:
                check(results, "broken bundle installs into slot A", False, str(second.get("install")))

    passed = sum(1 for _, ok, _ in results if ok)
    failed = len(results) - passed
    figures["checks"] = {name: ok for name, ok, _ in results}
    (out / "image-test.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures), flush=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
