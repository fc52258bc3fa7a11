"""``appliance doctor``: one verdict per check, non-zero when something required is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.cli import main

REPO = Path(__file__).resolve().parents[2]


def _profile_variant(tmp_path: Path, old: str, new: str) -> str:
    text = (REPO / "hw_profiles" / "ci-virtual.toml").read_text()
    assert old in text
    path = tmp_path / "variant.toml"
    path.write_text(text.replace(old, new, 1))
    return str(path)


def _without_virtual_view(path: str) -> str:
    text = Path(path).read_text()
    Path(path).write_text(text.replace('ptz_view = "640x360"\n', ""))
    return path


def test_doctor_ci_virtual_passes_on_a_bare_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--profile", "ci-virtual"]) == 0
    lines = capsys.readouterr().out.splitlines()
    verdicts = [line for line in lines[1:-1]]
    assert verdicts and all(line.startswith("ok") for line in verdicts), lines
    assert lines[-1] == "everything the profile requires is present"


def test_doctor_ci_virtual_starts_the_fake_camera_for_a_visca_round_trip(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["doctor", "--profile", "ci-virtual", "--json"])
    report = json.loads(capsys.readouterr().out)
    ptz = next(v for v in report["verdicts"] if v["check"] == "ptz")
    assert ptz["ok"] and "fake camera on serial:" in ptz["detail"] and "round trip" in ptz["detail"]


def test_doctor_json_lists_every_check(capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor", "--profile", "ci-virtual", "--json"])
    report = json.loads(capsys.readouterr().out)
    checks = [v["check"] for v in report["verdicts"]]
    assert report["ok"] is True and report["profile"] == "ci-virtual"
    assert checks[:7] == ["display", "camera", "microphone", "speaker", "gpio", "ptz", "udev"]
    assert {"h264 decoder", "vp8 decoder", "h264 encoder", "vp8 encoder"} <= set(checks)


def test_doctor_fake_camera_over_ip_answers_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = _profile_variant(
        tmp_path, 'driver = "fake"\naddress = 1', 'driver = "fake"\nfake_transport = "ip"\naddress = 1'
    )
    assert main(["doctor", "--profile", profile, "--json"]) == 0
    ptz = next(v for v in json.loads(capsys.readouterr().out)["verdicts"] if v["check"] == "ptz")
    assert "fake camera on ip:127.0.0.1:" in ptz["detail"]


def test_doctor_missing_serial_port_fails_with_a_remedy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = _without_virtual_view(
        _profile_variant(
            tmp_path, 'driver = "fake"\naddress = 1', 'driver = "serial"\nport = "/nonexistent/ttyUSB7"'
        )
    )
    assert main(["doctor", "--profile", profile]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if " ptz " in line)
    assert line.startswith("FAIL") and "/nonexistent/ttyUSB7: no such device" in line and "-> plug in" in line
    assert out.splitlines()[-1] == "1 required check(s) failed"


def test_doctor_missing_camera_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = _profile_variant(
        tmp_path,
        'format = "lavfi"\ndevice = "testsrc2=size=1280x720:rate=15"\nptz_view = "640x360"',
        'format = "v4l2"\ndevice = "/nonexistent/video9"\nptz_view = "640x360"',
    )
    assert main(["doctor", "--profile", profile]) == 1
    line = next(line for line in capsys.readouterr().out.splitlines() if " camera " in line)
    assert line.startswith("FAIL") and "v4l2:/nonexistent/video9" in line


def test_doctor_without_profile_or_site_file_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", "--site", str(tmp_path / "none.toml")]) == 1
    assert "no --profile given and no site file" in capsys.readouterr().err
