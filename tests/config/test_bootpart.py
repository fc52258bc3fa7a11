"""The boot partition's site file: imported privately, profile by board or override, refused with a reason."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path

import pytest

from appliance.config import bootpart_cli
from appliance.config.bootpart import board_profile, import_site, profile_for_model
from appliance.errors import ConfigError

SITE = """
[appliance]
profile = "{profile}"
room_name = "Room 1"

[node]
address = "http://10.0.2.2:8080"

[conference]
alias = "meet"
display_name = "Room 1"
{extra}
"""
PI4 = "Raspberry Pi 4 Model B Rev 1.5"


def boot_dir(tmp_path: Path, profile: str = "auto", extra: str = "") -> Path:
    """A boot partition as FAT presents it: every file readable by everyone (0644 or wider)."""
    boot = tmp_path / "boot"
    boot.mkdir()
    (boot / "appliance.toml").write_text(SITE.format(profile=profile, extra=extra))
    (boot / "appliance.toml").chmod(0o755)
    return boot


def test_profile_for_model_maps_boards_and_the_emulator() -> None:
    assert profile_for_model(PI4) == "rpi4-usbcam"
    assert profile_for_model("Raspberry Pi 5 Model B Rev 1.0") == "rpi5-usbcam"
    assert profile_for_model("Raspberry Pi Compute Module 4 Rev 1.1") == "rpi4-usbcam"
    assert profile_for_model("linux,dummy-virt") == "ci-virtual"


def test_board_profile_is_kept_after_first_boot(tmp_path: Path) -> None:
    assert board_profile(tmp_path, PI4) == "rpi4-usbcam"
    assert board_profile(tmp_path, "Raspberry Pi 5 Model B Rev 1.0") == "rpi4-usbcam"


def test_import_site_auto_profile_is_the_detected_board(tmp_path: Path) -> None:
    imported = import_site(boot_dir(tmp_path), tmp_path / "run", tmp_path / "state", model=PI4)
    assert imported.site.profile == "rpi4-usbcam"
    assert imported.profile_source == "board detection"
    assert (tmp_path / "state" / "board-profile").read_text().strip() == "rpi4-usbcam"


def test_import_site_override_file_on_boot_partition_wins(tmp_path: Path) -> None:
    boot = boot_dir(tmp_path)
    (boot / "appliance-profile.txt").write_text("# this room has a PC\ngeneric-x86\n")
    imported = import_site(boot, tmp_path / "run", tmp_path / "state", model=PI4)
    assert imported.site.profile == "generic-x86"
    assert imported.profile_source == "boot partition override"


def test_import_site_copies_are_private_and_secrets_load(tmp_path: Path) -> None:
    boot = boot_dir(tmp_path, extra='secrets_file = "room.secrets.toml"')
    (boot / "room.secrets.toml").write_text('pin = "4321"\n')
    (boot / "room.secrets.toml").chmod(0o755)
    imported = import_site(boot, tmp_path / "run", tmp_path / "state", model=PI4)
    assert imported.site.secrets.pin == "4321"
    for path in (tmp_path / "run").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_import_site_wrong_value_names_the_boot_file_and_leaves_no_site(tmp_path: Path) -> None:
    boot = boot_dir(tmp_path, extra="bandwidth_kbps = 10")
    with pytest.raises(ConfigError) as caught:
        import_site(boot, tmp_path / "run", tmp_path / "state", model=PI4)
    assert str(boot / "appliance.toml") in str(caught.value)
    assert "bandwidth_kbps" in str(caught.value)
    assert not (tmp_path / "run" / "site.toml").exists()


def test_import_site_without_site_file_says_to_copy_the_example(tmp_path: Path) -> None:
    (tmp_path / "boot").mkdir()
    with pytest.raises(ConfigError, match=r"appliance\.toml\.example"):
        import_site(tmp_path / "boot", tmp_path / "run", tmp_path / "state", model=PI4)


def test_import_site_unknown_profile_names_where_it_came_from(tmp_path: Path) -> None:
    boot = boot_dir(tmp_path)
    (boot / "appliance-profile.txt").write_text("rpi9-hologram\n")
    with pytest.raises(ConfigError, match=r"boot partition override.*rpi9-hologram"):
        import_site(boot, tmp_path / "run", tmp_path / "state", model=PI4)


def test_site_import_cli_shows_the_reason_on_screen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    boot = boot_dir(tmp_path, extra="bandwidth_kbps = 10")
    screen = tmp_path / "tty1"
    args = argparse.Namespace(
        boot=boot, out=tmp_path / "run", state=tmp_path / "state", screen=screen, owner=None, model=PI4
    )
    assert bootpart_cli.run(args) == 1
    shown = screen.read_text()
    assert "not configured correctly" in shown
    assert "bandwidth_kbps" in shown
    assert "bandwidth_kbps" in capsys.readouterr().err
