"""The demo's summary says whether the appliance's alias is registered for incoming calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.demo import run_demo_command

pytestmark = pytest.mark.media


def test_demo_summary_says_the_appliance_is_registered(tmp_path: Path) -> None:
    _code, summary, stderr = run_demo_command(tmp_path, "--seconds", "1", "--bots", "0")
    assert summary["joined"], stderr
    assert summary["registered"] is True
