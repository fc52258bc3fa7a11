"""The composed stream a joined client decodes: who is where, told from the pixels."""

from __future__ import annotations

import pytest

from appliance.labnode.media.bots import PALETTE
from appliance.labnode.media.compositor_layout import tiles_for
from appliance.labnode.media.hub import AiortcMediaHub
from appliance.labnode.media_api import MixState
from tests.support.labnode_media import nearest_palette, next_frame_where, region_rgb

pytestmark = pytest.mark.media

MAIN_1_7 = tiles_for("1:7", 2, 640, 360)[0]
MAIN_X, MAIN_Y = MAIN_1_7.x + MAIN_1_7.w // 2, MAIN_1_7.y + MAIN_1_7.h // 2


def _add_bots(hub: AiortcMediaHub, count: int) -> list[str]:
    uuids = [f"bot-{i}" for i in range(count)]
    for i, uuid in enumerate(uuids):
        hub.add_bot(uuid, f"Bot {i}")
    return uuids


def _tile_colours(frame, view: str, count: int) -> list[int]:
    tiles = tiles_for(view, count, 640, 360)
    return [nearest_palette(region_rgb(frame, t.x + t.w // 2, t.y + t.h // 2, half=8)) for t in tiles]


async def test_hub_main_speaker_colour_fills_the_big_tile(hub: AiortcMediaHub, clients) -> None:
    a, b = _add_bots(hub, 2)
    client = clients("Carol")
    await client.join(hub)
    hub.set_mix(client.participant_uuid, MixState("1:7", [a, b], {}))
    frame = await next_frame_where(
        client.received(1), lambda f: nearest_palette(region_rgb(f, MAIN_X, MAIN_Y)) >= 0
    )
    assert PALETTE[nearest_palette(region_rgb(frame, MAIN_X, MAIN_Y))] == hub.bot_signature(a).rgb


async def test_hub_main_speaker_changes_with_the_order(hub: AiortcMediaHub, clients) -> None:
    a, b = _add_bots(hub, 2)
    client = clients("Carol")
    await client.join(hub)
    hub.set_mix(client.participant_uuid, MixState("1:7", [a, b], {}))
    await next_frame_where(client.received(1), lambda f: nearest_palette(region_rgb(f, MAIN_X, MAIN_Y)) == 0)
    hub.set_mix(client.participant_uuid, MixState("1:7", [b, a], {}))
    await next_frame_where(client.received(1), lambda f: nearest_palette(region_rgb(f, MAIN_X, MAIN_Y)) == 1)


async def test_hub_four_grid_shows_four_distinct_tiles(hub: AiortcMediaHub, clients) -> None:
    bots = _add_bots(hub, 4)
    client = clients("Carol")
    await client.join(hub)
    hub.set_mix(client.participant_uuid, MixState("4:0", bots, {}))
    frame = await next_frame_where(client.received(1), lambda f: _tile_colours(f, "4:0", 4) == [0, 1, 2, 3])
    assert frame.width == 640 and frame.height == 360


async def test_hub_nine_grid_shows_nine_distinct_tiles(hub: AiortcMediaHub, clients) -> None:
    bots = _add_bots(hub, 9)
    client = clients("Carol")
    await client.join(hub)
    hub.set_mix(client.participant_uuid, MixState("9:0", bots, {}))
    await next_frame_where(client.received(1), lambda f: _tile_colours(f, "9:0", 9) == list(range(9)))


async def test_hub_leaves_the_listener_out_of_its_own_layout(hub: AiortcMediaHub, clients) -> None:
    (bot,) = _add_bots(hub, 1)
    client = clients("Carol", camera=(255, 255, 255))
    await client.join(hub)
    hub.set_mix(client.participant_uuid, MixState("1:7", [client.participant_uuid, bot], {}))
    await next_frame_where(client.received(1), lambda f: nearest_palette(region_rgb(f, 320, 180)) == 0)
    later = [await next_frame_where(client.received(1), lambda f: True) for _ in range(10)]
    assert [nearest_palette(region_rgb(f, 320, 180)) for f in later] == [0] * 10


async def test_hub_shows_another_clients_camera_in_its_tile(hub: AiortcMediaHub, clients) -> None:
    viewer = clients("Viewer")
    sender = clients("Sender", camera=(40, 190, 70))  # palette index 2
    await viewer.join(hub)
    await sender.join(hub)
    hub.set_mix(viewer.participant_uuid, MixState("1:0", [sender.participant_uuid], {}))
    await next_frame_where(viewer.received(1), lambda f: nearest_palette(region_rgb(f, 320, 180)) == 2)


async def test_hub_video_muted_participant_becomes_a_name_card(hub: AiortcMediaHub, clients) -> None:
    (bot,) = _add_bots(hub, 1)
    client = clients("Carol")
    await client.join(hub)
    hub.set_mix(client.participant_uuid, MixState("1:0", [bot], {bot: "Bot 0"}))
    await next_frame_where(client.received(1), lambda f: nearest_palette(region_rgb(f, 320, 180)) == 0)
    hub.set_participant_media(
        bot, audio_muted=False, video_muted=True, receives_presentation=True, in_conference=True
    )
    card = await next_frame_where(client.received(1), lambda f: nearest_palette(region_rgb(f, 100, 60)) == -1)
    r, g, b = region_rgb(card, 100, 60)
    assert max(r, g, b) - min(r, g, b) < 25  # grey, not a bot's colour


async def test_hub_shares_one_composition_between_identical_views(hub: AiortcMediaHub, clients) -> None:
    bots = _add_bots(hub, 2)
    first = clients("First", camera=None, directions=("recvonly", "recvonly", "recvonly"))
    second = clients("Second", camera=None, directions=("recvonly", "recvonly", "recvonly"))
    await first.join(hub)
    await second.join(hub)
    for client in (first, second):
        hub.set_mix(client.participant_uuid, MixState("4:0", bots, {}))
    await next_frame_where(second.received(1), lambda f: _tile_colours(f, "4:0", 2) == [0, 1])
    assert hub.call_statistics(first.call_uuid)["active_compositions"] == 1
