"""The root-filesystem overlay: what the recipe adds to Debian's root, assembled and verified.

Used twice: by build.py (into the real root, before the venv is installed)
and by the fast check in the test command (tests/image/), which assembles it
into a temporary folder and verifies it without any emulation.

The overlay is image/rootfs/ (fstab, units, udev rules, sysusers, tmpfiles,
RAUC, sshd policy, the A/B scripts) plus the units and udev rules of the
project's systemd/ folder, plus the boot partition's templates in image/boot/.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
ROOTFS = HERE / "rootfs"
BOOT = HERE / "boot"
SYSTEMD = PROJECT / "systemd"
UNIT_SUFFIXES = (".service", ".socket", ".timer", ".path", ".target", ".mount")
# Units of our own (rootfs/) and from systemd/ that the image enables.
OWN_UNITS = ("appliance-site.service", "appliance-ssh-keys.service", "appliance-update-guard.service")
SCRIPTS = ROOTFS / "usr" / "lib" / "appliance"

_SECRET_PATTERNS = (
    re.compile(rb"-----BEGIN (?:RSA |EC |OPENSSH |DSA |ENCRYPTED )?PRIVATE KEY-----"),
    re.compile(rb"^\s*(?:pin|proxy_password|password)\s*=\s*\"[^\"]+\"", re.MULTILINE),
    re.compile(rb"\$(?:1|5|6|y|2b)\$[./A-Za-z0-9]{2,}\$"),  # crypt(3) password hashes
)


def project_units() -> list[Path]:
    """Unit files in systemd/ (another issue writes appliance.service there)."""
    if not SYSTEMD.is_dir():
        return []
    return sorted(p for p in SYSTEMD.iterdir() if p.suffix in UNIT_SUFFIXES and p.is_file())


def project_rules() -> list[Path]:
    if not SYSTEMD.is_dir():
        return []
    return sorted(p for p in SYSTEMD.rglob("*.rules") if p.is_file())


def project_conf_dirs() -> list[Path]:
    """systemd/<name>.conf.d/ drop-in folders (journald, system manager) for /etc/systemd/."""
    if not SYSTEMD.is_dir():
        return []
    return sorted(p for p in SYSTEMD.glob("*.conf.d") if p.is_dir())


def project_sysusers() -> list[Path]:
    if not SYSTEMD.is_dir():
        return []
    return sorted(SYSTEMD.glob("*.sysusers.conf"))


def assemble(dest: Path) -> list[str]:
    """Copy the overlay into ``dest`` (a root or an empty folder); returns the units it holds."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOTFS, dest, symlinks=True, dirs_exist_ok=True)
    unit_dir = dest / "usr" / "lib" / "systemd" / "system"
    rules_dir = dest / "usr" / "lib" / "udev" / "rules.d"
    unit_dir.mkdir(parents=True, exist_ok=True)
    rules_dir.mkdir(parents=True, exist_ok=True)
    for unit in project_units():
        shutil.copy2(unit, unit_dir / unit.name)
        (unit_dir / unit.name).chmod(0o644)
    for rule in project_rules():
        shutil.copy2(rule, rules_dir / rule.name)
        (rules_dir / rule.name).chmod(0o644)
    for conf_dir in project_conf_dirs():
        target = dest / "etc" / "systemd" / conf_dir.name
        target.mkdir(parents=True, exist_ok=True)
        for conf in sorted(conf_dir.glob("*.conf")):
            shutil.copy2(conf, target / conf.name)
            (target / conf.name).chmod(0o644)
    for sysusers in project_sysusers():
        name = sysusers.name.removesuffix(".sysusers.conf") + ".conf"
        target = dest / "usr" / "lib" / "sysusers.d" / name
        shutil.copy2(sysusers, target)
        target.chmod(0o644)
    etc_appliance = dest / "etc" / "appliance"
    if etc_appliance.is_symlink() or etc_appliance.is_file():
        etc_appliance.unlink()
    elif etc_appliance.is_dir():
        shutil.rmtree(etc_appliance)
    # The site file is imported at boot into /run/appliance (appliance-site.service):
    # /etc/appliance/site.toml, where the README says a device keeps it, is that copy.
    etc_appliance.symlink_to("/run/appliance")
    return sorted(p.name for p in unit_dir.iterdir() if p.suffix in UNIT_SUFFIXES)


def units_to_enable(dest: Path) -> list[str]:
    unit_dir = dest / "usr" / "lib" / "systemd" / "system"
    names = list(OWN_UNITS)
    names += [p.name for p in project_units() if "[Install]" in (unit_dir / p.name).read_text()]
    return names


def verify(dest: Path) -> list[str]:
    """Problems with an assembled overlay (empty list = good): modes, secrets, scripts, units."""
    problems: list[str] = []
    for path in sorted(dest.rglob("*")):
        rel = "/" + str(path.relative_to(dest))
        if path.is_symlink():
            continue
        mode = path.lstat().st_mode
        if mode & stat.S_IWOTH:
            problems.append(f"{rel}: writable by others ({stat.filemode(mode)})")
        if path.is_file():
            if rel.startswith("/opt/"):
                continue  # the venv: checked by installing it, not by scanning it
            data = path.read_bytes()
            for pattern in _SECRET_PATTERNS:
                if pattern.search(data):
                    problems.append(f"{rel}: looks like it holds a secret ({pattern.pattern[:30]!r}...)")
            if rel.startswith("/usr/lib/appliance/") and not mode & stat.S_IXUSR:
                problems.append(f"{rel}: a script that is not executable")
            if data.startswith(b"#!/bin/sh") and shutil.which("sh"):
                result = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True, check=False)
                if result.returncode != 0:
                    problems.append(f"{rel}: sh -n: {result.stderr.strip()}")
    for name in ("getty.target", "getty@.service", "serial-getty@.service", "autovt@.service"):
        link = dest / "etc" / "systemd" / "system" / name
        if not (link.is_symlink() and os.readlink(link) == "/dev/null"):
            problems.append(f"/etc/systemd/system/{name}: must be masked (no login on the console)")
    sshd = (dest / "etc" / "ssh" / "sshd_config.d" / "10-appliance.conf").read_text()
    for line in ("PasswordAuthentication no", "PermitRootLogin no", "KbdInteractiveAuthentication no"):
        if line not in sshd:
            problems.append(f"sshd policy lacks {line!r}")
    sysusers = (dest / "usr" / "lib" / "sysusers.d" / "appliance-image.conf").read_text()
    if "u appliance" not in sysusers:
        problems.append("sysusers: no appliance user")
    return problems


def verify_units(dest: Path) -> tuple[bool, str]:
    """``systemd-analyze verify`` on the overlay's own and the project's units, with ``dest`` as root.

    ``dest`` must be a scratch copy (the fast check's folder): this machine's
    systemd units are added to it (without replacing ours) so that the targets
    our units name exist, as they do in the image. The programs the units run
    are checked inside ``dest`` (the venv's ``appliance``, our scripts).
    Returns (ok, output); without systemd-analyze, (False, the reason).
    """
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return False, "systemd-analyze is not installed (apt-get install systemd): units not verified"
    unit_dir = dest / "usr" / "lib" / "systemd" / "system"
    for host_unit in Path("/usr/lib/systemd/system").iterdir():
        target = unit_dir / host_unit.name
        if not target.exists() and not target.is_symlink():
            if host_unit.is_dir():
                shutil.copytree(host_unit, target, symlinks=True)
            else:
                shutil.copy2(host_unit, target, follow_symlinks=False)
    units = [str(unit_dir / name) for name in OWN_UNITS]
    units += [str(unit_dir / p.name) for p in project_units()]
    for unit in units:  # programs Debian provides (kill, rauc): this machine's copy stands in
        for match in re.finditer(r"^Exec\w+=[-@:+!]*(/\S+)", Path(unit).read_text(), re.MULTILINE):
            program, host = dest / match.group(1).lstrip("/"), Path(match.group(1))
            if not program.exists() and host.is_file():
                program.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(host, program)
    env = dict(os.environ, SYSTEMD_LOG_LEVEL="warning")
    result = subprocess.run(
        [tool, "verify", "--man=no", f"--root={dest}", *units],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    return result.returncode == 0, (result.stdout + result.stderr).strip()
