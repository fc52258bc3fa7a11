"""The demo's summary says whether the appliance's alias is registered for incoming calls."""

from __future__ import annotations

import pytest

from appliance.services.demo import DemoOptions, run_demo

pytestmark = pytest.mark.media


async def test_demo_summary_says_the_appliance_is_registered() -> None:
    summary = await run_demo(DemoOptions(seconds=1, bots=0))
    assert summary.joined
    assert summary.to_json()["registered"] is True
