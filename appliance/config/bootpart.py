"""The site configuration on the SD card's boot partition, taken in at every boot.

A room is configured by editing the card on any computer: the FAT boot
partition holds ``appliance.toml`` (the site file of the README's reference),
its secrets file, and optionally ``appliance-profile.txt`` naming a hardware
profile. FAT has no owners or modes, so the files are copied to a private
directory (``/run/appliance`` on the image, owned by the appliance user, mode
0600) where the loader's checks hold, and validated there. A wrong file stops
the appliance with one line on the screen saying what to fix
(docs/image.md, "Configuring a card").

``profile = "auto"`` in the site file means the board's profile: the board is
detected at first boot (the device tree's model) and the choice kept in the
state directory; ``appliance-profile.txt`` on the boot partition overrides it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from appliance.config.profile import find_profile, is_profile_path, load_profile
from appliance.config.reader import load_toml
from appliance.config.site import SiteConfig, load_site
from appliance.errors import ConfigError

SITE_NAME = "appliance.toml"
PROFILE_OVERRIDE = "appliance-profile.txt"
BOARD_STATE = "board-profile"
DEVICE_TREE_MODEL = Path("/proc/device-tree/model")
DMI_PRODUCT = Path("/sys/class/dmi/id/product_name")

# Device-tree model prefixes (longest first wins) -> profile. The emulator's
# ``virt`` machine has no camera or buttons: its profile is the virtual one.
BOARD_PROFILES: tuple[tuple[str, str], ...] = (
    ("Raspberry Pi Compute Module 5", "rpi5-usbcam"),
    ("Raspberry Pi 5", "rpi5-usbcam"),
    ("Raspberry Pi Compute Module 4", "rpi4-usbcam"),
    ("Raspberry Pi 400", "rpi4-usbcam"),
    ("Raspberry Pi 4", "rpi4-usbcam"),
    ("linux,dummy-virt", "ci-virtual"),
)
FALLBACK_PROFILE = "generic-x86"


@dataclass(frozen=True, slots=True)
class Imported:
    """What :func:`import_site` produced: the private copy and how the profile was chosen."""

    site: SiteConfig
    file: Path
    profile: str
    profile_source: str  # "site file", "boot partition override", "board detection"


def read_model(model_file: Path = DEVICE_TREE_MODEL, dmi_file: Path = DMI_PRODUCT) -> str:
    """The board's model string: the device tree's on ARM boards, the DMI product name on PCs."""
    for path in (model_file, dmi_file):
        try:
            return path.read_bytes().rstrip(b"\0\n").decode("utf-8", "replace").strip()
        except OSError:
            continue
    return ""


def profile_for_model(model: str) -> str:
    for prefix, profile in BOARD_PROFILES:
        if model.startswith(prefix):
            return profile
    return FALLBACK_PROFILE


def board_profile(state_dir: Path, model: str) -> str:
    """The profile detected at first boot, kept in ``state_dir`` so a later boot does not change it."""
    kept = state_dir / BOARD_STATE
    try:
        name = kept.read_text().strip()
    except FileNotFoundError:
        name = ""
    if name:
        return name
    name = profile_for_model(model)
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = kept.with_suffix(".new")
    tmp.write_text(f"{name}\n")
    tmp.replace(kept)
    return name


def override_profile(boot_dir: Path) -> str | None:
    """The first non-comment line of ``appliance-profile.txt`` on the boot partition, if any."""
    path = boot_dir / PROFILE_OVERRIDE
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return None
    for line in lines:
        word = line.split("#", 1)[0].strip()
        if word:
            return word
    raise ConfigError(f"{path}: names no profile (write one profile name, e.g. rpi4-usbcam)", file=str(path))


def _copy_private(src: Path, dest: Path, owner: tuple[int, int] | None) -> None:
    if not src.is_file():
        raise ConfigError(f"{src}: no such file (named in {SITE_NAME})", file=str(src))
    tmp = dest.with_name(dest.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(src.read_bytes())
    if owner is not None:
        os.chown(tmp, *owner)
    tmp.replace(dest)


def import_site(
    boot_dir: Path,
    out_dir: Path,
    state_dir: Path,
    *,
    model: str,
    owner: tuple[int, int] | None = None,
) -> Imported:
    """Copy the boot partition's site file (and the files it names) to ``out_dir`` and validate it.

    Raises :class:`ConfigError` with the file, key, expected and found on any
    mistake; ``out_dir`` then holds no ``site.toml`` so nothing starts on a
    half-imported configuration.
    """
    source = boot_dir / SITE_NAME
    if not source.is_file():
        raise ConfigError(
            f"{source}: no site file on the boot partition (copy appliance.toml.example to {SITE_NAME})",
            file=str(source),
        )
    data: dict[str, Any] = load_toml(source)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "site.toml"
    target.unlink(missing_ok=True)

    app = data.get("appliance")
    if not isinstance(app, dict):
        raise ConfigError(f"{source}: [appliance]: expected a table, found none", file=str(source))
    written = app.get("profile")
    override = override_profile(boot_dir)
    if override is not None:
        profile, how = override, "boot partition override"
    elif written == "auto":
        profile, how = board_profile(state_dir, model), "board detection"
    else:
        profile, how = str(written), "site file"
    if is_profile_path(profile):
        src = Path(profile) if Path(profile).is_absolute() else boot_dir / profile
        _copy_private(src, out_dir / src.name, owner)
        profile = src.name
    else:
        try:
            find_profile(profile)
        except ConfigError as exc:
            raise ConfigError(f"{source}: [appliance] profile ({how}): {exc}", file=str(source)) from None
    app["profile"] = profile

    for table, key in (("conference", "secrets_file"), ("node", "ca_file")):
        section = data.get(table)
        if isinstance(section, dict) and isinstance(section.get(key), str):
            src = Path(section[key])
            src = src if src.is_absolute() else boot_dir / src
            _copy_private(src, out_dir / src.name, owner)
            section[key] = src.name if key == "secrets_file" else str(out_dir / src.name)

    staging = out_dir / "site.toml.new"
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(f"# imported from {source}; edit that file, not this copy\n".encode())
        tomli_w.dump(data, out)
    if owner is not None:
        os.chown(staging, *owner)
    try:
        site = load_site(staging)
        load_profile(site.profile)
    except ConfigError as exc:
        staging.unlink()
        # The copy's name means nothing to whoever edits the card: name the original.
        raise ConfigError(str(exc).replace(str(staging), str(source)), file=str(source)) from None
    staging.replace(target)
    return Imported(site=load_site(target), file=target, profile=profile, profile_source=how)


def show_on_screen(screen: Path, lines: list[str]) -> None:
    """Write ``lines`` to a text console (the HDMI screen before the UI runs), clearing it first."""
    try:
        with screen.open("w") as tty:
            tty.write("\033[2J\033[H\n" + "\n".join(f"  {line}" for line in lines) + "\n")
    except OSError:
        return  # no console (a container, a headless test): the journal still has the message
