"""``appliance doctor`` on being called and the display: the registration and the CEC adapter."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.config.incoming import RegistrationConfig
from appliance.config.profile import CecSpec, load_profile
from appliance.labnode.app import LabNode
from appliance.labnode.state.registrar import ROOM_1_PASSWORD
from appliance.services.doctor_calls import check_cec, check_registration
from tests.support.daemon import lab_site


def _called(node: LabNode, password: str = ROOM_1_PASSWORD):  # type: ignore[no-untyped-def]
    return dataclasses.replace(
        lab_site(node.url),
        registration=RegistrationConfig(alias="room-1", username="room-1"),
        registration_password=password,
    )


async def test_doctor_registration_registers_and_releases(signalling_node: LabNode) -> None:
    verdict = await check_registration(_called(signalling_node))
    assert verdict.ok, verdict.line()
    assert "registered" in verdict.detail
    assert not signalling_node.state.registrar.is_registered("room-1")


async def test_doctor_registration_wrong_password_fails_with_a_remedy(signalling_node: LabNode) -> None:
    verdict = await check_registration(_called(signalling_node, "not-it"))
    assert not verdict.ok and verdict.required
    assert "registration_password" in verdict.remedy
    assert "not-it" not in verdict.line()


async def test_doctor_registration_absent_is_a_note(signalling_node: LabNode) -> None:
    verdict = await check_registration(lab_site(signalling_node.url))
    assert verdict.ok and not verdict.required


async def test_doctor_cec_fake_tv_answers() -> None:
    verdict = await check_cec(load_profile("ci-virtual"))
    assert verdict.ok and "the TV answers" in verdict.detail


async def test_doctor_cec_switched_off_is_ok() -> None:
    profile = dataclasses.replace(load_profile("ci-virtual"), cec=CecSpec(driver="none"))
    assert (await check_cec(profile)).ok


async def test_doctor_cec_missing_tool_warns_with_a_remedy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    profile = dataclasses.replace(load_profile("ci-virtual"), cec=CecSpec(driver="cec-ctl"))
    verdict = await check_cec(profile)
    assert not verdict.ok and not verdict.required
    assert "v4l-utils" in verdict.remedy


def test_doctor_command_checks_the_site_files_registration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = tmp_path / "room.secrets.toml"
    secrets.write_text('registration_password = "room-1-lab"\n')
    secrets.chmod(0o600)
    site = tmp_path / "site.toml"
    site.write_text(
        '[appliance]\nprofile = "ci-virtual"\n[node]\naddress = "http://127.0.0.1:9"\n'
        '[conference]\nalias = "meet"\ndisplay_name = "Room"\n'
        '[registration]\nalias = "room-1"\nsecrets_file = "room.secrets.toml"\n'
    )
    assert main(["doctor", "--profile", "ci-virtual", "--site", str(site)]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "registration" in line)
    assert line.startswith("FAIL") and "check [node] address" in line
    assert "cec" in out
