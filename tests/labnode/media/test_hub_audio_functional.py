"""The mixed audio a joined client receives, told apart by pitch."""

from __future__ import annotations

import pytest

from appliance.labnode.media.hub import AiortcMediaHub
from tests.support.labnode_media import collect_audio, tone_energy
from tests.support.waiting import eventually

pytestmark = pytest.mark.media

CLIENT_PITCH = 1200.0


async def test_hub_client_hears_a_talking_bot(hub: AiortcMediaHub, clients) -> None:
    hub.add_bot("bot-0", "Alice")  # the first bot talks from the start
    client = clients("Carol", pitch=CLIENT_PITCH)
    await client.join(hub)
    audio = await collect_audio(client.received(0), 1.0)
    bot_pitch = hub.bot_signature("bot-0").pitch_hz
    assert tone_energy(audio, bot_pitch) > 20 * tone_energy(audio, bot_pitch + 70)


async def test_hub_client_does_not_hear_itself(hub: AiortcMediaHub, clients) -> None:
    hub.add_bot("bot-0", "Alice")
    client = clients("Carol", pitch=CLIENT_PITCH)
    await client.join(hub)
    audio = await collect_audio(client.received(0), 1.5)
    bot_pitch = hub.bot_signature("bot-0").pitch_hz
    assert tone_energy(audio, CLIENT_PITCH) < tone_energy(audio, bot_pitch) / 20


async def test_hub_client_hears_another_client(hub: AiortcMediaHub, clients) -> None:
    listener = clients("Listener", pitch=CLIENT_PITCH)
    talker = clients("Talker", pitch=700.0)
    await listener.join(hub)
    await talker.join(hub)
    audio = await collect_audio(listener.received(0), 1.5)
    assert tone_energy(audio, 700.0) > 20 * tone_energy(audio, CLIENT_PITCH)


async def test_hub_admin_muted_participant_is_not_heard(hub: AiortcMediaHub, clients) -> None:
    hub.add_bot("bot-0", "Alice")
    hub.set_participant_media(
        "bot-0", audio_muted=True, video_muted=False, receives_presentation=True, in_conference=True
    )
    client = clients("Carol", pitch=CLIENT_PITCH)
    await client.join(hub)
    audio = await collect_audio(client.received(0), 1.0)
    assert tone_energy(audio, hub.bot_signature("bot-0").pitch_hz) < 5.0


async def test_hub_reports_voice_activity_of_a_talking_bot(hub: AiortcMediaHub, events) -> None:
    hub.add_bot("bot-0", "Alice")
    await eventually(lambda: ("bot-0", True) in events.voice, within=3)


async def test_hub_reports_end_of_speech_when_a_bot_is_muted(hub: AiortcMediaHub, events) -> None:
    hub.add_bot("bot-0", "Alice")
    await eventually(lambda: ("bot-0", True) in events.voice, within=3)
    hub.set_participant_media(
        "bot-0", audio_muted=True, video_muted=False, receives_presentation=True, in_conference=True
    )
    await eventually(lambda: events.voice[-1] == ("bot-0", False), within=1)
