"""Encoder and decoder selection: preference lists, verified by opening, with fallback."""

from __future__ import annotations

import fractions

import av
import pytest

from appliance.errors import MediaError
from appliance.media.decoders import DecodeInfo, PreferredH264Decoder, probe_decoder, select_decoder
from appliance.media.encoders import (
    CodecSettings,
    EncoderBudget,
    RealtimeH264Encoder,
    RealtimeVp8Encoder,
    install_codecs,
    probe_encoder,
)


def test_select_decoder_falls_back_with_the_reason_when_v4l2m2m_cannot_open() -> None:
    choice = select_decoder(["h264_v4l2m2m", "h264"])
    assert choice.name == "h264"
    assert choice.fell_back
    assert choice.rejected[0][0] == "h264_v4l2m2m"


def test_select_decoder_without_any_usable_decoder_raises() -> None:
    with pytest.raises(MediaError, match=r"no H\.264 decoder"):
        select_decoder(["h264_v4l2m2m", "no_such_decoder"])


def test_select_decoder_for_vp8_names_the_codec_when_nothing_opens() -> None:
    with pytest.raises(MediaError, match=r"no VP8 decoder"):
        select_decoder(["vp8_v4l2m2m", "no_such_decoder"], "vp8")


def test_install_codecs_takes_the_first_vp8_decoder_that_opens() -> None:
    try:
        selection = install_codecs(CodecSettings(h264_decoders=("h264",), vp8_decoders=("libvpx", "vp8")))
        assert selection.vp8_decoder.name == "libvpx"
    finally:
        install_codecs(CodecSettings(h264_decoders=("h264_v4l2m2m", "h264")))  # the session's choice


def test_probe_decoder_accepts_software_h264() -> None:
    assert probe_decoder("h264") is None


def test_probe_encoder_rejects_a_missing_hardware_encoder() -> None:
    assert probe_encoder("h264_v4l2m2m") is not None


def test_install_codecs_falls_back_to_libx264_when_the_hardware_encoder_fails() -> None:
    selection = install_codecs(CodecSettings(h264_encoders=("h264_v4l2m2m", "libx264")))
    try:
        assert selection.h264_encoder == "libx264"
        assert selection.h264_encoder_rejected[0][0] == "h264_v4l2m2m"
    finally:
        install_codecs(CodecSettings())


def frames(count: int, size: tuple[int, int] = (320, 240)) -> list[av.VideoFrame]:
    source = av.open(f"testsrc2=size={size[0]}x{size[1]}:rate=30", format="lavfi")
    try:
        out = []
        for index, decoded in zip(range(count), source.decode(video=0), strict=False):
            frame = decoded.reformat(format="yuv420p")
            frame.pts = index * 3000
            frame.time_base = fractions.Fraction(1, 90000)
            out.append(frame)
        return out
    finally:
        source.close()


def test_realtime_h264_encoder_uses_ultrafast_zerolatency_and_packetises() -> None:
    encoder = RealtimeH264Encoder("libx264", CodecSettings(), EncoderBudget())
    payloads = [payload for frame in frames(5) for payload in encoder.encode(frame)[0]]
    assert payloads and all(len(payload) <= 1300 for payload in payloads)
    assert encoder.options["preset"] == "ultrafast"
    assert encoder.options["tune"] == "zerolatency"


def test_encoder_respects_the_call_budget_cap() -> None:
    budget = EncoderBudget(max_bitrate=300_000)
    encoder = RealtimeH264Encoder("libx264", CodecSettings(), budget)
    encoder.encode(frames(1)[0])
    assert budget.bitrates["H264"] == 300_000
    assert budget.encoders["H264"] == "libx264"


def test_encoder_does_not_rebuild_on_small_bitrate_moves() -> None:
    budget = EncoderBudget()
    encoder = RealtimeVp8Encoder(CodecSettings(rebuild_ratio=0.3, rebuild_interval_s=0.0), budget)
    clip = frames(4)
    encoder.encode(clip[0])
    encoder.target_bitrate = int(encoder.target_bitrate * 1.2)
    encoder.encode(clip[1])
    assert budget.rebuilds == 0
    encoder.target_bitrate = encoder.target_bitrate * 2
    encoder.encode(clip[2])
    assert budget.rebuilds == 1


def test_encoder_uses_the_configured_vp8_speed() -> None:
    encoder = RealtimeVp8Encoder(CodecSettings(vp8_cpu_used=12), EncoderBudget())
    encoder.encode(frames(1)[0])
    assert encoder.options["cpu-used"] == "12"


def test_preferred_decoder_tags_frames_with_decode_info() -> None:
    context = av.CodecContext.create("libx264", "w")
    context.width, context.height, context.pix_fmt = 320, 240, "yuv420p"
    context.time_base = fractions.Fraction(1, 30)
    context.options = {"preset": "ultrafast", "tune": "zerolatency"}
    data = b"".join(bytes(packet) for frame in frames(3) for packet in context.encode(frame))

    class Encoded:
        def __init__(self, payload: bytes) -> None:
            self.data = payload
            self.timestamp = 0

    decoder = PreferredH264Decoder("h264")
    decoded = decoder.decode(Encoded(data))
    assert decoded
    assert isinstance(decoded[0].opaque, DecodeInfo)
    assert decoded[0].opaque.decoder == "h264"


def test_install_codecs_logs_why_the_hardware_decoder_was_rejected(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="appliance.media.decoders"):
        install_codecs(CodecSettings(h264_decoders=("h264_v4l2m2m", "h264")))
    fallback = [r for r in caplog.records if r.getMessage() == "h264 decoder fallback"]
    assert fallback
    assert "h264_v4l2m2m" in fallback[0].context["rejected"]  # type: ignore[attr-defined]
