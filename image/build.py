#!/usr/bin/env python3
"""Build the SD-card image: mmdebstrap root + overlay + wheels venv, sfdisk disk, RAUC bundle, SBOM.

    python3 image/build.py [--out DIR] [--cache DIR] [--stage base|root|all]

The stages, each cached or cheap (see image/README.md for the why of each):

1. base  mmdebstrap (Debian trixie arm64, packages.txt, hooks in mmdebstrap/)
         -> CACHE/base-<key>.tar; the key hashes every input, so it is rebuilt
         only when the package list, the hooks, the suite or the mirror change.
2. root  unpack the base, add overlay/ (units, udev rules, tmpfiles, sysusers, fstab),
         the units from systemd/, the appliance venv from the project's wheel and
         the pinned aarch64 wheels (pip run from its own wheel by the target's
         Python under qemu-user: nothing is compiled, pip is not left in the image).
3. disk  boot FAT (firmware, slot a/ and b/ kernels via os_prefix), root A, root B,
         data; sfdisk lays out the partitions and dd places them; xz compresses it.
4. bundle a signed RAUC bundle of the same root (the update that image-test installs).
5. sbom  CycloneDX 1.6 JSON: every Debian package and every wheel with its version.

Standard library only; runs as root (chroot, ownership), which .ci/bootstrap.py checks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import layout  # noqa: E402  (image/layout.py: partition sizes and names, shared with the test)
import overlay  # noqa: E402  (image/overlay.py: the overlay assembly, also used by the fast check)
import sbom  # noqa: E402

SUITE = "trixie"
MIRROR = "http://deb.debian.org/debian"
SECURITY = "http://deb.debian.org/debian-security"
COMPONENTS = "main,non-free-firmware"
PY_TAG = "313"  # trixie's python3 is 3.13
BOOT_TEMPLATES = HERE / "boot"
# Fixed filesystem UUIDs: the same inputs give the same image (SOURCE_DATE_EPOCH does the times).
ROOT_UUID = "5ca1ab1e-0002-4000-8000-000000000002"
DATA_UUID = "5ca1ab1e-0004-4000-8000-000000000004"


def say(message: str) -> None:
    print(f"[image] {message}", flush=True)


def run(cmd: list[str], **kwargs: object) -> None:
    say("$ " + " ".join(str(c) for c in cmd))
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def source_date_epoch() -> int:
    """The git commit time of HEAD: every timestamp in the image comes from it."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        return int(env)
    out = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], check=True, capture_output=True, text=True
    )
    return int(out.stdout.strip())


def packages() -> list[str]:
    lines = (HERE / "packages.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def mirrors(snapshot: str | None) -> list[str]:
    if snapshot:  # reproducible: the archive exactly as it was then (snapshot.debian.org)
        base = f"http://snapshot.debian.org/archive/debian/{snapshot}"
        sec = f"http://snapshot.debian.org/archive/debian-security/{snapshot}"
    else:
        base, sec = MIRROR, SECURITY
    comps = COMPONENTS.replace(",", " ")
    return [
        f"deb {base} {SUITE} {comps}",
        f"deb {base} {SUITE}-updates {comps}",
        f"deb {sec} {SUITE}-security {comps}",
    ]


def base_key(snapshot: str | None) -> str:
    digest = hashlib.sha256()
    for part in [SUITE, *mirrors(snapshot), *packages()]:
        digest.update(part.encode() + b"\n")
    for hook in sorted((HERE / "mmdebstrap").glob("*.sh")):
        digest.update(hook.read_bytes())
    return digest.hexdigest()[:16]


def build_base(cache: Path, snapshot: str | None, epoch: int) -> Path:
    """The Debian root as a tarball, cached by its inputs' hash (the slow stage: ~15 min emulated)."""
    tar = cache / f"base-{base_key(snapshot)}.tar"
    if tar.exists():
        say(f"base root cached: {tar}")
        return tar
    cache.mkdir(parents=True, exist_ok=True)
    partial = tar.with_suffix(".partial.tar")
    started = time.monotonic()
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch))
    run(
        [
            "mmdebstrap",
            "--arch=arm64",
            "--variant=minbase",
            "--mode=root",
            "--format=tar",
            f"--components={COMPONENTS}",
            "--aptopt=APT::Install-Recommends false",
            "--aptopt=Acquire::Retries 3",
            f"--include={','.join(packages())}",
            f"--essential-hook={HERE / 'mmdebstrap' / 'essential-hook.sh'}",
            f"--customize-hook={HERE / 'mmdebstrap' / 'customize-hook.sh'}",
            SUITE,
            str(partial),
            *mirrors(snapshot),
        ],
        env=env,
    )
    partial.rename(tar)
    say(f"base root built in {time.monotonic() - started:.0f} s: {tar} ({tar.stat().st_size >> 20} MiB)")
    return tar


PIP_VERSION = "25.3"
LOCK = HERE / "requirements-aarch64.txt"
PLATFORMS = ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64")


def project_dependencies() -> list[str]:
    import tomllib

    return list(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])


def relock(cache: Path) -> None:
    """Resolve the project's dependencies for aarch64 CPython 3.13 and pin them with hashes in LOCK.

    Binary wheels only (``--only-binary=:all:``): nothing is compiled for the
    device. A dependency published only as a pure-Python source archive
    (sdnotify) is pinned by the archive's hash and turned into a wheel on the
    build machine (pure Python: no compiler involved).
    """
    wheels = cache / "wheels"
    sdists = cache / "sdists"
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    sdists.mkdir(parents=True, exist_ok=True)
    deps = project_dependencies()
    platform_args = [arg for plat in PLATFORMS for arg in ("--platform", plat)]
    binary_cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "-q",
        "--no-cache-dir",
        "-d",
        str(wheels),
        *platform_args,
        "--only-binary=:all:",
        "--python-version",
        "3.13",
        "--implementation",
        "cp",
    ]
    source_only = []
    for dep in deps:
        probe = subprocess.run([*binary_cmd, "--no-deps", dep], capture_output=True, text=True, check=False)
        if probe.returncode != 0:
            source_only.append(dep)
    for dep in source_only:
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary=:all:",
                "-d",
                str(sdists),
                dep,
            ]
        )
        run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), dep])
    run([*binary_cmd, "--find-links", str(wheels), *deps])
    lines = [
        "# The appliance's dependencies for the image (aarch64, CPython 3.13), pinned with hashes.",
        "# Regenerate with: python3 image/build.py --relock   (then review the diff)",
    ]
    for whl in sorted(wheels.glob("*.whl"), key=lambda p: p.name.lower()):
        name, version = whl.name.split("-")[:2]
        source = next((s for s in sdists.glob(f"{name}-{version}.tar.gz")), None)
        if source is not None:
            digest = hashlib.sha256(source.read_bytes()).hexdigest()
            lines.append(
                f"# {name}=={version} --hash=sha256:{digest}  (source only; wheel built on the host)"
            )
            continue
        digest = hashlib.sha256(whl.read_bytes()).hexdigest()
        lines.append(f"{name}=={version} --hash=sha256:{digest}")
    LOCK.write_text("\n".join(lines) + "\n")
    say(f"wrote {LOCK} ({len(lines) - 2} pins)")


def fetch_wheels(cache: Path, dest: Path) -> list[Path]:
    """The pinned wheels (hash-checked), the source-only ones built here, pip itself, the project's wheel."""
    dest.mkdir(parents=True, exist_ok=True)
    platform_args = [arg for plat in PLATFORMS for arg in ("--platform", plat)]
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "-d",
            str(dest),
            *platform_args,
            "--only-binary=:all:",
            "--python-version",
            "3.13",
            "--implementation",
            "cp",
            "--no-deps",
            "--require-hashes",
            "-r",
            str(LOCK),
        ]
    )
    local = dest / "local"
    local.mkdir(exist_ok=True)
    for line in LOCK.read_text().splitlines():
        if line.startswith("# ") and "--hash=" in line:
            pin, digest = line[2:].split()[:2]
            req = dest / "source-req.txt"
            req.write_text(f"{pin} {digest}\n")
            run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--no-binary=:all:",
                    "--require-hashes",
                    "-d",
                    str(dest / "sdist"),
                    "-r",
                    str(req),
                ]
            )
            run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(local), pin])
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "-d",
            str(dest / "pip"),
            f"pip=={PIP_VERSION}",
        ]
    )
    scratch = ROOT / "build"  # setuptools' scratch folder; left behind it confuses ruff's import order
    had_scratch = scratch.exists()
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(local), str(ROOT)])
    if not had_scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    return sorted(local.glob("*.whl"))


def chroot(root: Path, *cmd: str, env: dict[str, str] | None = None) -> None:
    """Run an arm64 program in the root (qemu-user through binfmt_misc) with /proc and /dev bound."""
    mounts = [(["mount", "-t", "proc", "proc", str(root / "proc")], root / "proc")]
    mounts.append((["mount", "--bind", "/dev", str(root / "dev")], root / "dev"))
    done = []
    try:
        for cmd_mount, point in mounts:
            run(cmd_mount)
            done.append(point)
        run(["chroot", str(root), *cmd], env=env)
    finally:
        for point in reversed(done):
            subprocess.run(["umount", "--lazy", str(point)], check=False)


def build_root(tar: Path, work: Path, cache: Path, epoch: int, keyring: Path) -> Path:
    """Unpack the base, add the overlay, the venv, users and enabled units; returns the root folder."""
    root = work / "root"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    run(["tar", "-xpf", str(tar), "--numeric-owner", "-C", str(root)])
    units = overlay.assemble(root)
    if "appliance.service" not in units:
        say(
            "WARNING: systemd/appliance.service is not in the project yet: the image has no appliance "
            "unit and image-test will fail at READY (the room-daemon issue ships it)"
        )
    # The slot's boot files come from Debian's packages: the kernel and initramfs from /boot,
    # the device trees from linux-image-arm64, the firmware from raspi-firmware. They are
    # kept in the root (usr/lib/appliance/boot) so that an update bundle carries its own,
    # and laid into the boot partition's a/ or b/ by slot-boot-install. What raspi-firmware's
    # hooks copied to /boot/firmware (the FAT's mount point on the device) is dropped.
    firmware = root / "boot" / "firmware"
    slot_boot = root / "usr" / "lib" / "appliance" / "boot"
    fat = work / "bootfs"
    shutil.rmtree(fat, ignore_errors=True)
    fat.mkdir()
    shutil.rmtree(firmware)
    firmware.mkdir()
    slot_boot.mkdir(parents=True, exist_ok=True)
    kernels = sorted((root / "boot").glob("vmlinuz-*"))
    if len(kernels) != 1:
        raise SystemExit(f"[image] expected one kernel in the base root, found {[k.name for k in kernels]}")
    release = kernels[0].name.removeprefix("vmlinuz-")
    shutil.copy2(kernels[0], slot_boot / "vmlinuz")
    shutil.copy2(root / "boot" / f"initrd.img-{release}", slot_boot / "initrd.img")
    for dtb in sorted((root / "usr" / "lib" / f"linux-image-{release}" / "broadcom").glob("bcm*.dtb")):
        shutil.copy2(dtb, slot_boot / dtb.name)
    pi_firmware = root / "usr" / "lib" / "raspi-firmware"
    for item in sorted(pi_firmware.iterdir()):
        if item.name == "overlays":
            shutil.copytree(item, slot_boot / "overlays")  # looked up under os_prefix
        else:
            shutil.copy2(item, fat / item.name)
    shutil.copy2(BOOT_TEMPLATES / "cmdline.txt.in", slot_boot / "cmdline.txt.in")
    for name in ("config.txt", "appliance.toml.example", "README.txt"):
        shutil.copy2(BOOT_TEMPLATES / name, fat / name)
    run(["sh", str(root / "usr/lib/appliance/slot-boot-install"), str(root), str(fat), "A"])

    wheels = work / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    local = fetch_wheels(cache, wheels)
    inside = root / "tmp" / "wheels"
    shutil.copytree(wheels, inside)
    shutil.copy2(LOCK, inside / "requirements.txt")
    pip_whl = next((inside / "pip").glob("pip-*.whl"))
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch), PYTHONHASHSEED="0", LC_ALL="C.UTF-8")
    venv = "/opt/appliance/venv"
    chroot(root, "/usr/bin/python3", "-m", "venv", "--without-pip", venv, env=env)
    pip = [f"{venv}/bin/python", f"/tmp/wheels/pip/{pip_whl.name}/pip", "--disable-pip-version-check"]
    chroot(
        root,
        *pip,
        "install",
        "-q",
        "--no-index",
        "--no-deps",
        "--require-hashes",
        "--find-links",
        "/tmp/wheels",
        "-r",
        "/tmp/wheels/requirements.txt",
        env=env,
    )
    chroot(
        root,
        *pip,
        "install",
        "-q",
        "--no-index",
        "--no-deps",
        *[f"/tmp/wheels/local/{w.name}" for w in local],
        env=env,
    )
    chroot(root, *pip, "check", env=env)
    shutil.rmtree(inside)

    run(["systemd-sysusers", f"--root={root}"])
    run(
        [
            "systemctl",
            f"--root={root}",
            "enable",
            *overlay.units_to_enable(root),
            "systemd-networkd.service",
            "systemd-resolved.service",
            "systemd-timesyncd.service",
        ]
    )
    run(
        [
            "systemctl",
            f"--root={root}",
            "mask",
            "apt-daily.timer",
            "apt-daily-upgrade.timer",
            "ssh.socket",
            "systemd-firstboot.service",
        ]
    )
    # Nothing device-specific or secret ships: host keys are made on the device when SSH is enabled,
    # the machine id at boot (empty file = first boot semantics on a read-only root).
    for key in (root / "etc" / "ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc" / "machine-id").write_text("")
    dbus_id = root / "var" / "lib" / "dbus" / "machine-id"
    if dbus_id.exists() or dbus_id.is_symlink():
        dbus_id.unlink()
    docs = root / "usr" / "share" / "doc" / "appliance"
    docs.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "docs" / "image.md", docs / "image.md")  # the units' Documentation=
    (root / "etc" / "rauc").mkdir(exist_ok=True)
    shutil.copy2(keyring, root / "etc" / "rauc" / "keyring.pem")
    for mount in ("data", "var/lib/rauc", "var/lib/appliance", "var/lib/appliance-ssh", "var/lib/private"):
        (root / mount).mkdir(parents=True, exist_ok=True)
    (root / "var" / "lib" / "private").chmod(0o700)
    shutil.rmtree(root / "var" / "log", ignore_errors=True)
    (root / "var" / "log").mkdir()
    return root


def build_data(root: Path, work: Path) -> Path:
    """The data partition's first content: the folders the bind mounts in fstab need, and /var/lib state."""
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    (data / "lib").mkdir(parents=True)
    (data / "log").mkdir()
    shutil.copytree(root / "var" / "lib" / "systemd", data / "lib" / "systemd", symlinks=True)
    (data / "lib" / "private").mkdir(mode=0o700)
    (data / "lib" / "rauc").mkdir()
    (data / "lib" / "appliance-ssh").mkdir(mode=0o700)
    (data / "lib" / "appliance-ssh" / "home").mkdir()
    appliance = data / "lib" / "appliance"
    appliance.mkdir(mode=0o750)
    uid, gid = user_ids(root, "appliance")
    os.chown(appliance, uid, gid)
    return data


def user_ids(root: Path, name: str) -> tuple[int, int]:
    for line in (root / "etc" / "passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return int(fields[2]), int(fields[3])
    raise SystemExit(f"[image] no user {name} in the image")


def mkext4(src: Path, image: Path, size_mib: int, label: str, uuid: str, epoch: int) -> None:
    image.unlink(missing_ok=True)
    env = dict(os.environ, E2FSPROGS_FAKE_TIME=str(epoch))
    run(
        [
            "mkfs.ext4",
            "-q",
            "-F",
            "-L",
            label,
            "-U",
            uuid,
            "-E",
            f"hash_seed={uuid},root_owner=0:0",
            "-O",
            "^metadata_csum_seed",
            "-T",
            "default",
            "-d",
            str(src),
            str(image),
            f"{size_mib}M",
        ],
        env=env,
    )


def mkfat(src: Path, image: Path, size_mib: int, epoch: int) -> None:
    image.unlink(missing_ok=True)
    with image.open("wb") as handle:
        handle.truncate(size_mib * layout.MIB)
    run(
        [
            "mkfs.vfat",
            "-F",
            "32",
            "-n",
            "APPLBOOT",
            "-i",
            f"{layout.DISK_SIGNATURE:08X}",
            "--invariant",
            str(image),
        ]
    )
    for path in src.rglob("*"):
        os.utime(path, (epoch, epoch), follow_symlinks=False)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1", SOURCE_DATE_EPOCH=str(epoch))
    run(
        ["mcopy", "-s", "-p", "-m", "-i", str(image), *[str(p) for p in sorted(src.iterdir())], "::/"],
        env=env,
    )


def build_disk(root: Path, work: Path, out: Path, epoch: int, version: str) -> Path:
    parts = work / "parts"
    parts.mkdir(exist_ok=True)
    mkfat(work / "bootfs", parts / "boot.vfat", layout.BOOT.size_mib, epoch)
    mkext4(root, parts / "root.ext4", layout.ROOT_A.size_mib, "root", ROOT_UUID, epoch)
    data = build_data(root, work)
    mkext4(data, parts / "data.ext4", layout.DATA.size_mib, "data", DATA_UUID, epoch)
    disk = out / f"appliance-{version}.img"
    disk.unlink(missing_ok=True)
    with disk.open("wb") as handle:
        handle.truncate(layout.disk_size())
    run(["sfdisk", "-q", str(disk)], input=layout.sfdisk_script().encode())
    offsets = layout.offsets()
    for name, part in (("boot", "boot.vfat"), ("rootA", "root.ext4"), ("data", "data.ext4")):
        start, _size = offsets[name]
        run(
            [
                "dd",
                f"if={parts / part}",
                f"of={disk}",
                "bs=4M",
                f"seek={start}",
                "oflag=seek_bytes",
                "conv=notrunc,sparse",
                "status=none",
            ]
        )
    return disk


def signing_material(cache: Path, cert: Path | None, key: Path | None) -> tuple[Path, Path]:
    """The bundle signing key: given (production), or a development key made once in the cache."""
    if cert and key:
        return cert, key
    keys = cache / "dev-keys"
    cert, key = keys / "dev.cert.pem", keys / "dev.key.pem"
    if not cert.exists():
        keys.mkdir(parents=True, exist_ok=True)
        say("no --signing-cert/--signing-key: making a DEVELOPMENT signing key (not for rooms)")
        run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:4096",
                "-nodes",
                "-keyout",
                str(key),
                "-out",
                str(cert),
                "-days",
                "3650",
                "-subj",
                "/O=appliance development/CN=appliance development bundle key",
            ]
        )
        key.chmod(0o600)
    return cert, key


def build_bundle(root_ext4: Path, out: Path, name: str, version: str, cert: Path, key: Path) -> Path:
    """A signed RAUC bundle (verity format) of a root slot image, with the boot-files hook."""
    staging = out / f"bundle-{name}.staging"  # beside the bundle (inside out/, not the source tree)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        os.link(root_ext4, staging / "root.ext4")
    except OSError:
        shutil.copy2(root_ext4, staging / "root.ext4")
    shutil.copy2(HERE / "rauc" / "hook.sh", staging / "hook.sh")
    (staging / "manifest.raucm").write_text(
        "[update]\ncompatible=appliance-rpi-arm64\n"
        f"version={version}\n\n[bundle]\nformat=verity\n\n[hooks]\nfilename=hook.sh\n\n"
        "[image.rootfs]\nfilename=root.ext4\nhooks=post-install\n"
    )
    bundle = out / f"{name}.raucb"
    bundle.unlink(missing_ok=True)
    run(["rauc", "bundle", f"--cert={cert}", f"--key={key}", str(staging), str(bundle)])
    shutil.rmtree(staging)
    return bundle


def compress(disk: Path) -> Path:
    xz = disk.with_suffix(".img.xz")
    xz.unlink(missing_ok=True)
    with xz.open("wb") as handle:
        run(["xz", "-T2", "-6", "-c", "--", str(disk)], stdout=handle)
    return xz


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "image" / "out")
    parser.add_argument(
        "--cache", type=Path, default=Path(os.environ.get("IMAGE_CACHE", "/work/image-cache"))
    )
    parser.add_argument("--snapshot", help="snapshot.debian.org timestamp, e.g. 20261201T000000Z")
    parser.add_argument("--stage", choices=["base", "all"], default="all")
    parser.add_argument("--relock", action="store_true", help="re-resolve and re-pin the aarch64 wheels")
    parser.add_argument("--no-compress", action="store_true", help="skip the .img.xz")
    parser.add_argument("--signing-cert", type=Path)
    parser.add_argument("--signing-key", type=Path)
    args = parser.parse_args(argv)
    if args.relock:
        relock(args.cache)
        return 0
    if os.geteuid() != 0:
        sys.exit("[image] the build needs root (chroot, file ownership in the root filesystem)")
    epoch = source_date_epoch()
    times: dict[str, float] = {}
    started = time.monotonic()
    tar = build_base(args.cache, args.snapshot, epoch)
    times["base_s"] = time.monotonic() - started
    if args.stage == "base":
        return 0
    out = args.out.resolve()
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    cert, key = signing_material(args.cache, args.signing_cert, args.signing_key)
    mark = time.monotonic()
    root = build_root(tar, work, args.cache, epoch, cert)
    times["root_s"] = time.monotonic() - mark
    version = f"{appliance_version()}+{epoch}"
    mark = time.monotonic()
    disk = build_disk(root, work, out, epoch, version)
    times["disk_s"] = time.monotonic() - mark
    mark = time.monotonic()
    bundle = build_bundle(work / "parts" / "root.ext4", out, f"appliance-{version}", version, cert, key)
    times["bundle_s"] = time.monotonic() - mark
    mark = time.monotonic()
    sbom_file = sbom.write(root, out / f"appliance-{version}.cdx.json", version, args.cache, epoch)
    times["sbom_s"] = time.monotonic() - mark
    xz = None
    if not args.no_compress:
        mark = time.monotonic()
        xz = compress(disk)
        times["compress_s"] = time.monotonic() - mark
    times["total_s"] = time.monotonic() - started
    summary = {
        "version": version,
        "image": str(disk),
        "image_mib": disk.stat().st_size >> 20,
        "image_allocated_mib": (disk.stat().st_blocks * 512) >> 20,
        "image_xz": str(xz) if xz else None,
        "image_xz_mib": round(xz.stat().st_size / layout.MIB, 1) if xz else None,
        "bundle": str(bundle),
        "bundle_mib": round(bundle.stat().st_size / layout.MIB, 1),
        "sbom": str(sbom_file),
        "root_used_mib": int(
            subprocess.run(
                ["du", "-sm", str(root)], capture_output=True, text=True, check=True
            ).stdout.split()[0]
        ),
        **{k: round(v) for k, v in times.items()},
    }
    (out / "build.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary), flush=True)
    return 0


def appliance_version() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    for line in text.splitlines():
        if line.startswith("version = "):
            return line.split('"')[1]
    raise SystemExit("[image] no version in pyproject.toml")


if __name__ == "__main__":
    sys.exit(main())
