"""onSplashScreen in a direct-media room: the client draws the node's splash screens."""

from __future__ import annotations

from appliance.labnode.app import LabNode
from tests.support.pexrtc import Join


async def test_onsplashscreen_shows_the_welcome_screen_to_the_only_participant(
    node: LabNode, join: Join
) -> None:
    _, rec = await join("direct", "Alone")
    (properties,) = await rec.wait_for("onSplashScreen")
    assert properties["screen_key"] == "direct_media_welcome"
    assert properties["text"]
    assert properties["background"].startswith(f"{node.url}/api/client/v2/conferences/direct/theme/")


async def test_onsplashscreen_without_properties_clears_the_screen(join: Join) -> None:
    _, rec = await join("direct", "First")
    await rec.wait_for("onSplashScreen", lambda p=None: p is not None)
    await join("direct", "Second")
    assert await rec.wait_for("onSplashScreen", lambda p=None: p is None) == ()
