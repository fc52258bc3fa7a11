from __future__ import annotations

import itertools
import math

from appliance.labnode.media.audio_mix import SAMPLE_RATE
from appliance.labnode.media.bots import PALETTE, BotSource, SpeechPattern, signature_for


def test_bots_have_distinct_colours_and_pitches() -> None:
    signatures = [signature_for(i) for i in range(len(PALETTE))]
    assert all(math.dist(a.rgb, b.rgb) > 60 for a, b in itertools.combinations(signatures, 2))
    assert len({s.pitch_hz for s in signatures}) == len(PALETTE)


def test_bot_picture_is_dominated_by_its_colour() -> None:
    bot = BotSource(1, "Bob")
    rgb = bot.video_frame(0.0).to_ndarray(format="rgb24")[90, 160]
    assert math.dist(tuple(int(c) for c in rgb), PALETTE[1]) < 20


def test_bot_pattern_moves_over_time() -> None:
    bot = BotSource(0, "Alice")
    a = bot.video_frame(0.0).to_ndarray()
    b = bot.video_frame(0.5).to_ndarray()
    assert (a != b).any()


def test_bot_returns_the_same_frame_within_one_frame_interval() -> None:
    bot = BotSource(0, "Alice", fps=15)
    assert bot.video_frame(1.0) is bot.video_frame(1.01)


def test_speech_pattern_alternates_talk_and_pause() -> None:
    pattern = SpeechPattern(0)
    states = [pattern.talking(s * SAMPLE_RATE // 10) for s in range(300)]
    flips = sum(1 for a, b in itertools.pairwise(states) if a != b)
    assert states[0] and flips >= 6


def test_speech_patterns_of_later_bots_start_later() -> None:
    assert SpeechPattern(0).talking(0) and not SpeechPattern(2).talking(0)


def test_bot_audio_is_silent_during_pauses() -> None:
    bot = BotSource(3, "Dora")
    assert bot.pull() is None
