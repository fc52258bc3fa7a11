"""HDMI-CEC display power: wake and our input, standby, a silent TV, a hung adapter, the real process path."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
from pathlib import Path

import pytest

from appliance.config.profile import CecSpec, load_profile
from appliance.hw.cec import CecDisplay, FakeCecTv, open_display, run_cec_ctl


async def test_cec_power_on_wakes_the_tv_and_selects_our_input() -> None:
    tv = FakeCecTv(physical_address="2.0.0.0")
    display = tv.display()
    display.power(True)
    await asyncio.wait_for(display.settled(), 5)
    await display.close()
    assert tv.power == "on"
    assert tv.active_source == "2.0.0.0"
    assert display.applied is True


async def test_cec_standby_puts_the_tv_to_standby() -> None:
    tv = FakeCecTv(power="on")
    display = tv.display()
    display.power(False)
    await asyncio.wait_for(display.settled(), 5)
    await display.close()
    assert tv.power == "standby"


async def test_cec_the_newest_wish_wins() -> None:
    tv = FakeCecTv()
    display = tv.display()
    display.power(True)
    display.power(False)
    await asyncio.wait_for(display.settled(), 5)
    await display.close()
    assert tv.power == "standby"


async def test_cec_silent_tv_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    tv = FakeCecTv(answers=False)
    display = tv.display()
    with caplog.at_level(logging.WARNING, logger="appliance.hw.cec"):
        for on in (True, False, True):
            display.power(on)
            await asyncio.wait_for(display.settled(), 5)
    await display.close()
    warnings = [r for r in caplog.records if "does not answer CEC" in r.getMessage()]
    assert len(warnings) == 1
    assert display.tv_answers is False


async def test_cec_power_request_returns_before_a_hung_adapter_answers() -> None:
    tv = FakeCecTv(hang=True)
    display = tv.display(timeout_s=0.2)
    display.power(True)
    assert not display.applied  # the call returned; nothing was waited for
    await asyncio.wait_for(display.settled(), 5)
    await display.close()
    assert display.applied is None


async def test_cec_probe_reports_the_adapter_and_the_tv() -> None:
    status = await FakeCecTv(physical_address="3.0.0.0").display().probe()
    assert (status.adapter, status.physical_address, status.tv_answers) == (True, "3.0.0.0", True)


async def test_cec_probe_reports_a_silent_tv() -> None:
    status = await FakeCecTv(answers=False).display().probe()
    assert status.adapter and status.tv_answers is False


def test_cec_profile_switch_none_turns_it_off() -> None:
    assert open_display(CecSpec(driver="none")) is None


def test_cec_ci_virtual_profile_uses_the_fake_tv() -> None:
    assert load_profile("ci-virtual").cec.driver == "fake"


async def test_cec_missing_cec_ctl_is_a_clear_probe_result(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    status = await CecDisplay("/dev/cec0", timeout_s=1.0).probe()
    assert not status.adapter
    assert "apt install v4l-utils" in status.detail


async def test_cec_real_process_path_runs_cec_ctl(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    record = tmp_path / "args.txt"
    script = tmp_path / "cec-ctl"
    script.write_text(f'#!/bin/sh\necho "$@" >> {record}\necho "Physical Address           : 1.0.0.0"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    status, output = await run_cec_ctl(["-d", "/dev/cec9", "--to", "0", "--standby"], 5.0)
    assert status == 0 and "1.0.0.0" in output
    assert record.read_text().split() == ["-d", "/dev/cec9", "--to", "0", "--standby"]
