from __future__ import annotations

import fractions

import pytest

from appliance.errors import NotSupported
from appliance.labnode.media.bots import BotSource
from appliance.labnode.media.encoder import MAX_KBPS, MIN_KBPS, RealtimeVideoEncoder, video_kbps


def _frames(count: int):
    bot = BotSource(0, "Alice")
    for i in range(count):
        frame = bot.video_frame(i / 15).reformat(width=640, height=360)
        frame.pts = i * 6000
        frame.time_base = fractions.Fraction(1, 90000)
        yield frame


@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_encoder_emits_one_packet_per_frame(codec: str) -> None:
    encoder = RealtimeVideoEncoder(codec, fps=15, kbps=600)
    counts = [len(encoder.encode(f)) for f in _frames(10)]
    assert counts == [1] * 10


@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_encoder_starts_with_a_keyframe_and_repeats_it(codec: str) -> None:
    encoder = RealtimeVideoEncoder(codec, fps=15, kbps=600)
    keys = [encoder.encode(f)[0].is_keyframe for f in _frames(31)]
    assert keys[0] and keys[30] and not any(keys[1:30])


def test_encoder_restart_forces_a_keyframe() -> None:
    encoder = RealtimeVideoEncoder("vp8", fps=15, kbps=600)
    frames = list(_frames(3))
    encoder.encode(frames[0])
    encoder.restart()
    assert encoder.encode(frames[1])[0].is_keyframe


def test_encoder_refuses_other_codecs() -> None:
    with pytest.raises(NotSupported):
        RealtimeVideoEncoder("av1", fps=15, kbps=600)


def test_video_kbps_respects_the_service_cap_less_audio() -> None:
    assert video_kbps(640, 360, 400) == 336


def test_video_kbps_grows_with_picture_size() -> None:
    assert video_kbps(1280, 720, None) > video_kbps(640, 360, None)


def test_video_kbps_stays_within_bounds() -> None:
    assert video_kbps(640, 360, 100) == MIN_KBPS and video_kbps(3840, 2160, None) == MAX_KBPS
