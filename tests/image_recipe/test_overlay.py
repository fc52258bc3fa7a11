"""The image recipe's fast check: the root-filesystem overlay assembled into a folder and verified.

No emulation and no Debian archive: this is what the test command runs on a
clean clone in seconds. The full build and the emulated boot are
``.ci/bootstrap.py image`` and ``image-test`` (image/README.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from image import layout, overlay

REPO = Path(__file__).resolve().parents[2]
IMAGE = REPO / "image"


@pytest.fixture(scope="module")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("overlay")
    overlay.assemble(dest)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("appliance-*.whl"))


@pytest.fixture(scope="module")
def venv_in_overlay(assembled: Path, wheel: Path) -> Path:
    """The appliance installed from its wheel into a clean venv at the image's path, /opt/appliance/venv.

    The wheel goes in with --no-deps plus tomli-w (all that --version, config
    check and site-import import); the full dependency set is installed and
    ``pip check``-ed in the real image build from the pinned aarch64 lock.
    """
    venv = assembled / "opt" / "appliance" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
            "tomli-w",
        ],
        check=True,
        capture_output=True,
    )
    return venv


def test_overlay_verify_finds_no_problem(assembled: Path) -> None:
    assert overlay.verify(assembled) == []


def test_overlay_verify_reports_a_private_key(tmp_path: Path) -> None:
    overlay.assemble(tmp_path)
    (tmp_path / "etc" / "ssh" / "ssh_host_ed25519_key").write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    assert any("ssh_host_ed25519_key" in p for p in overlay.verify(tmp_path))


def test_overlay_verify_reports_an_unmasked_getty(tmp_path: Path) -> None:
    overlay.assemble(tmp_path)
    (tmp_path / "etc" / "systemd" / "system" / "getty@.service").unlink()
    assert any("getty@.service" in p for p in overlay.verify(tmp_path))


def test_overlay_etc_appliance_is_the_imported_site(assembled: Path) -> None:
    assert (assembled / "etc" / "appliance").readlink() == Path("/run/appliance")


def test_overlay_units_pass_systemd_analyze_verify(venv_in_overlay: Path, assembled: Path) -> None:
    ok, output = overlay.verify_units(assembled)
    assert ok, output


def test_overlay_unit_with_a_bad_key_fails_verify(tmp_path: Path) -> None:
    overlay.assemble(tmp_path)
    unit = tmp_path / "usr" / "lib" / "systemd" / "system" / "appliance-ssh-keys.service"
    unit.write_text(unit.read_text().replace("Type=oneshot", "Type=oneshoot"))
    ok, output = overlay.verify_units(tmp_path)
    assert not ok
    assert "oneshoot" in output


def test_wheel_in_clean_venv_prints_version(venv_in_overlay: Path) -> None:
    out = subprocess.run(
        [str(venv_in_overlay / "bin" / "appliance"), "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("appliance ")


def test_wheel_in_clean_venv_imports_the_boot_example(venv_in_overlay: Path, tmp_path: Path) -> None:
    """The boot partition's example, filled in, passes site-import and config check with the installed wheel."""
    boot = tmp_path / "boot"
    boot.mkdir()
    example = (IMAGE / "boot" / "appliance.toml.example").read_text()
    (boot / "appliance.toml").write_text(example)
    exe = str(venv_in_overlay / "bin" / "appliance")
    run = tmp_path / "run"
    imported = subprocess.run(
        [
            exe,
            "site-import",
            "--boot",
            str(boot),
            "--out",
            str(run),
            "--state",
            str(tmp_path / "state"),
            "--model",
            "Raspberry Pi 4 Model B Rev 1.5",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    assert "profile rpi4-usbcam (board detection" in imported.stdout
    checked = subprocess.run(
        [exe, "config", "check", str(run / "site.toml")], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    assert "rpi4-usbcam" in checked.stdout


def test_lock_pins_every_runtime_dependency_with_a_hash() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    lock = (IMAGE / "requirements-aarch64.txt").read_text()
    pinned = {
        re.sub(r"[-_.]+", "-", m.group(1)).lower()
        for m in re.finditer(r"^(?:# )?([A-Za-z0-9_.-]+)==\S+ --hash=sha256:[0-9a-f]{64}", lock, re.MULTILINE)
    }
    for dep in deps:
        name = re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ;]", dep, maxsplit=1)[0]).lower()
        assert name in pinned, f"{name} is a dependency in pyproject.toml but not pinned in the image lock"


def test_partition_uuids_agree_across_fstab_cmdline_and_rauc() -> None:
    fstab = (IMAGE / "rootfs" / "etc" / "fstab").read_text()
    rauc = (IMAGE / "rootfs" / "etc" / "rauc" / "system.conf").read_text()
    cmdline = (IMAGE / "boot" / "cmdline.txt.in").read_text()
    assert f"PARTUUID={layout.BOOT.partuuid} " in fstab
    assert f"PARTUUID={layout.DATA.partuuid} " in fstab
    assert f"by-partuuid/{layout.ROOT_A.partuuid}" in rauc
    assert f"by-partuuid/{layout.ROOT_B.partuuid}" in rauc
    assert f"root=PARTUUID={layout.DISK_SIGNATURE:08x}-@PART@" in cmdline


def test_partitions_fit_and_are_aligned() -> None:
    for name, (start, size) in layout.offsets().items():
        assert start % (4 * layout.MIB) == 0, name
        assert size % layout.MIB == 0, name
    assert layout.disk_size() < 4 * 1024 * layout.MIB  # flashes onto a 4 GB card


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed")
def test_recipe_shell_scripts_pass_shellcheck() -> None:
    # image/out/ is the build's output (a whole Debian root with Debian's own scripts): not the recipe
    recipe = (p for p in IMAGE.rglob("*") if p.is_file() and "out" not in p.relative_to(IMAGE).parts[:1])
    scripts = [p for p in recipe if p.read_bytes().startswith(b"#!/bin/sh")]
    result = subprocess.run(
        ["shellcheck", "-s", "sh", *map(str, scripts)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
