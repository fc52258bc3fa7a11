"""``appliance doctor`` and the microphone array: channel count checked, each microphone's level."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.cli import main

REPO = Path(__file__).resolve().parents[2]


def _array_verdict(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    main(["doctor", *args, "--json"])
    return next(v for v in json.loads(capsys.readouterr().out)["verdicts"] if v["check"] == "array")


def test_doctor_array_reports_channels_microphones_and_levels(capsys: pytest.CaptureFixture[str]) -> None:
    verdict = _array_verdict(capsys, "--profile", "ci-virtual")
    assert verdict["ok"], verdict
    detail = verdict["detail"]
    assert "virtual:meeting: 6 channels, 4 microphones on channels 1,2,3,4, 64 mm across" in detail
    levels = detail.split("levels ")[1].split(" dBFS")[0].split("/")
    assert len(levels) == 4 and all(-60 < float(level) < 0 for level in levels)


def test_doctor_array_with_another_channel_count_fails_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (REPO / "hw_profiles" / "ci-virtual.toml").read_text()
    marker = "positions_mm = [[0.0, 32.0], [32.0, 0.0], [0.0, -32.0], [-32.0, 0.0]]\n"
    assert marker in text
    profile = tmp_path / "eight.toml"  # the board delivers 8 channels; the profile says 6
    profile.write_text(text.replace(marker, marker + '\n[audio_array.options]\nchannels = "8"\n', 1))
    assert main(["doctor", "--profile", str(profile)]) == 1
    line = next(line for line in capsys.readouterr().out.splitlines() if " array " in line)
    assert line.startswith("FAIL")
    assert "delivers 8 channels; the profile's [audio_array] channels = 6" in line
    assert "-> plug in the array, or fix [audio_array] device/channels" in line


def test_doctor_mono_profile_has_no_array_line(capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor", "--profile", "rpi4-usbcam", "--json"])
    checks = [v["check"] for v in json.loads(capsys.readouterr().out)["verdicts"]]
    assert "array" not in checks and "microphone" in checks
