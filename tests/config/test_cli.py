"""The ``appliance`` command line for configuration and profiles."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from appliance import __version__
from appliance.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_cli_version_prints_the_package_version() -> None:
    exe = shutil.which("appliance", path=str(Path(sys.executable).parent))
    assert exe, "the console entry point is installed with the package"
    result = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"appliance {__version__}"


# What the demo and the lab node need, and the configuration tools must not load.
MEDIA_STACK = ("aiohttp", "aiortc", "av", "numpy", "pygame")
_LOADED_AFTER = """
import sys
from appliance.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(" ".join(m for m in {modules!r} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["--help"],
        ["profiles", "list"],
        ["profiles", "show", "ci-virtual"],
        ["config", "check"],
    ],
)
def test_cli_configuration_commands_do_not_import_the_media_stack(argv: list[str]) -> None:
    if argv == ["config", "check"]:
        argv = [*argv, str(REPO / "examples" / "site" / "lab-meet.toml")]
    script = _LOADED_AFTER.format(modules=MEDIA_STACK)
    result = subprocess.run(
        [sys.executable, "-c", script, *argv], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stderr.splitlines()[-1].split() == []


def test_cli_help_lists_every_command_without_loading_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in ("config", "profiles", "labnode", "demo"))


def test_cli_command_help_still_shows_its_own_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert "--screenshots" in capsys.readouterr().out


def test_cli_config_check_accepts_every_example(
    examples_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for site in sorted(examples_copy.glob("*.toml")):
        if site.name.endswith(".secrets.toml"):
            continue
        assert main(["config", "check", str(site)]) == 0
        assert f"{site}: OK" in capsys.readouterr().out


def test_cli_config_check_summary_never_prints_the_pin(
    examples_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["config", "check", str(examples_copy / "lab-pinned.toml")])
    out = capsys.readouterr().out
    assert "PIN         set" in out and "1234" not in out


def test_cli_config_check_rejects_a_broken_file_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text('[appliance]\nprofile = "ci-virtual"\n[node]\naddress = "x"\n[conference]\nalias = "a"\n')
    assert main(["config", "check", str(site)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"appliance config: {site}: [conference] display_name: expected a string, "
        "found nothing (the key is required)"
    ]


def test_cli_config_check_rejects_an_unknown_profile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        '[appliance]\nprofile = "toaster"\n[node]\naddress = "x"\n[conference]\nalias = "a"\ndisplay_name = "b"\n'
    )
    assert main(["config", "check", str(site)]) == 1
    assert "unknown hardware profile 'toaster'" in capsys.readouterr().err


def test_cli_profiles_list_names_every_shipped_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "list"]) == 0
    names = {line.split()[0] for line in capsys.readouterr().out.splitlines()}
    assert {"rpi4-usbcam", "rpi5-usbcam", "generic-x86", "ci-virtual"} <= names


def test_cli_profiles_show_prints_the_profile_resolved_with_defaults(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["profiles", "show", "rpi4-usbcam"]) == 0
    resolved = tomllib.loads(capsys.readouterr().out)
    # hand's bounce and hold are not in the file: they come from the defaults
    assert resolved["gpio"]["buttons"]["hand"] == {
        "pin": "GPIO27",
        "action": "hand",
        "pull_up": True,
        "bounce_s": 0.02,
        "hold_s": 1.5,
    }
    assert resolved["decoders"]["h264"] == ["h264_v4l2m2m", "h264"]


def test_cli_profiles_show_unknown_name_fails_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "show", "rpi9"]) == 1
    assert capsys.readouterr().err.startswith("appliance profiles: unknown hardware profile 'rpi9'")
