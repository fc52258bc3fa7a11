"""Instance variables during a call: which ones a running call can pick up (the document's column)."""

from __future__ import annotations

import logging

import pytest

from appliance import PexRTC
from tests.support.pexrtc import Join


async def test_setting_a_variable_not_changeable_in_call_mid_call_logs_a_warning(
    join: Join, caplog: pytest.LogCaptureFixture
) -> None:
    rtc, _ = await join(name="Alice")
    with caplog.at_level(logging.WARNING, logger="appliance.pexrtc.facade"):
        rtc.echoCancellation = False
    assert "echoCancellation is not changeable in a call" in caplog.text
    assert rtc.echoCancellation is False


async def test_setting_a_changeable_variable_mid_call_logs_nothing(
    join: Join, caplog: pytest.LogCaptureFixture
) -> None:
    rtc, _ = await join(name="Alice")
    with caplog.at_level(logging.WARNING, logger="appliance.pexrtc.facade"):
        rtc.bandwidth_out = 512
        rtc.video_source = "testsrc=size=320x180:rate=15"
    assert "changeable" not in caplog.text


def test_setting_any_variable_before_makecall_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    rtc = PexRTC()
    with caplog.at_level(logging.WARNING, logger="appliance.pexrtc.facade"):
        rtc.echoCancellation = False
        rtc.turn_server = {"urls": "turn:127.0.0.1", "username": "u", "credential": "c"}
    assert "changeable" not in caplog.text


async def test_the_warning_never_shows_the_value(join: Join, caplog: pytest.LogCaptureFixture) -> None:
    rtc, _ = await join(name="Alice")
    with caplog.at_level(logging.WARNING, logger="appliance.pexrtc.facade"):
        rtc.turn_server = {"urls": "turn:127.0.0.1", "username": "user", "credential": "s3cret-credential"}
    assert "turn_server is not changeable in a call" in caplog.text
    assert "s3cret-credential" not in caplog.text
