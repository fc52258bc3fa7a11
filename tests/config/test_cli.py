"""The ``appliance`` command line for configuration and profiles."""

from __future__ import annotations

import json
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
    sites = [site for site in sorted(examples_copy.glob("*.toml")) if not site.name.endswith(".secrets.toml")]
    assert len(sites) >= 3, f"expected the example site files in {examples_copy}, found {sites}"
    for site in sites:
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


def _appliance(*argv: str) -> subprocess.CompletedProcess[str]:
    """The installed ``appliance`` command, as a technician runs it."""
    exe = shutil.which("appliance", path=str(Path(sys.executable).parent))
    assert exe, "the console entry point is installed with the package"
    return subprocess.run([exe, *argv], capture_output=True, text=True, timeout=60, check=False)


SITE = """
[appliance]
profile = "ci-virtual"
[node]
address = "node.example.com"
[conference]
alias = "meet"
display_name = "Room"
"""

# Broken site files through the real command: exit status 1 and exactly one
# line on stderr, "appliance config: FILE: [table] key: expected ..., found ...".
BROKEN_THROUGH_CLI = {
    "unknown_key": (SITE + "bandwith_kbps = 512\n", 0o644, "[conference] bandwith_kbps: unknown key"),
    "short_pin": (
        SITE + 'pin = "123"\n',  # never echoed: the message counts its digits
        0o600,
        "[conference] pin: expected 4 to 20 digits, optionally ending in '#', found 3 digits (value not shown)",
    ),
    "inline_pin_readable_by_others": (SITE + 'pin = "4021"\n', 0o644, "fix it with: chmod 600"),
    "pin_and_secrets_file": (
        SITE + 'pin = "4021"\nsecrets_file = "s.toml"\n',
        0o600,
        "[conference] secrets_file: expected either pin or secrets_file, not both, found both",
    ),
    "backoff_inverted": (
        SITE + "[join]\nbackoff_initial_s = 10\nbackoff_max_s = 5\n",
        0o644,
        "[join] backoff_max_s: expected a number >= backoff_initial_s (10), found 5",
    ),
    "address_scheme": (
        SITE.replace('"node.example.com"', '"ftp://node.example.com"'),
        0o644,
        "[node] address: expected a node address like node.example.com or https://host:port, "
        "found 'ftp://node.example.com' (the scheme is ftp://, not http:// or https://)",
    ),
    "missing_relative_profile": (
        SITE.replace('"ci-virtual"', '"profiles/absent.toml"'),
        0o644,
        "[appliance] profile: ",
    ),
    "not_toml": ("[appliance\n", 0o644, "not valid TOML"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_THROUGH_CLI))
def test_cli_config_check_rejects_broken_site_with_one_line(tmp_path: Path, case: str) -> None:
    text, mode, expected = BROKEN_THROUGH_CLI[case]
    site = tmp_path / "site.toml"
    site.write_text(text)
    site.chmod(mode)
    result = _appliance("config", "check", str(site))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"appliance config: {site}"), lines[0]
    assert expected in lines[0], lines[0]
    message = lines[0].replace(str(site), "FILE")
    assert "4021" not in message and "123" not in message


def test_cli_config_check_refuses_a_secrets_file_others_can_read(examples_copy: Path) -> None:
    secrets = examples_copy / "lab-pinned.secrets.toml"
    secrets.chmod(0o644)
    result = _appliance("config", "check", str(examples_copy / "lab-pinned.toml"))
    assert result.returncode == 1
    assert result.stderr.strip().endswith(f"fix it with: chmod 600 {secrets}")
    assert "1234" not in result.stderr


def test_cli_config_check_missing_file_says_so(tmp_path: Path) -> None:
    result = _appliance("config", "check", str(tmp_path / "absent.toml"))
    assert (result.returncode, result.stderr.strip()) == (
        1,
        f"appliance config: {tmp_path / 'absent.toml'}: no such file",
    )


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_cli_config_check_logs_at_the_site_files_level(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(SITE.replace('profile = "ci-virtual"', 'profile = "ci-virtual"\nlog_level = "debug"'))
    result = _appliance("config", "check", str(site))
    assert result.returncode == 0, result.stderr
    assert "log level   debug  (from the site file)" in result.stdout
    assert [e["msg"] for e in _json_lines(result.stderr) if e["level"] == "debug"] == ["site file resolved"]


def test_cli_config_check_log_level_flag_overrides_the_site_file(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(SITE.replace('profile = "ci-virtual"', 'profile = "ci-virtual"\nlog_level = "debug"'))
    result = _appliance("config", "check", "--log-level", "warning", str(site))
    assert result.returncode == 0, result.stderr
    assert "log level   warning  (from --log-level)" in result.stdout
    assert _json_lines(result.stderr) == []


def test_cli_config_check_warns_when_tls_verification_is_off(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        SITE.replace('address = "node.example.com"', 'address = "node.example.com"\nverify_tls = false')
    )
    result = _appliance("config", "check", str(site))
    assert [e["msg"] for e in _json_lines(result.stderr) if e["level"] == "warning"] == [
        "TLS verification of the node is off"
    ]
