from __future__ import annotations

from appliance.labnode.media.mline_roles import MLineRole, assign_roles
from appliance.media.sdp import bundles_everything, media_lines, sanitize_offer, tag_content

PEXIP_OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 1 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1 2",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 13",
        "c=IN IP4 0.0.0.0",
        "a=mid:0",
        "a=sendrecv",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtcp-fb:13 transport-cc",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102",
        "a=mid:1",
        "a=sendrecv",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 nack pli",
        "a=fmtp:97 apt=96",
        "a=rtpmap:102 H264/90000",
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        "a=mid:2",
        "a=sendrecv",
        "a=content:slides",
        "a=rtpmap:96 VP8/90000",
        "",
    ]
)


def test_sanitize_drops_fmtp_for_payloads_without_rtpmap() -> None:
    clean = sanitize_offer(PEXIP_OFFER)
    assert "a=fmtp:97 apt=96" not in clean
    assert "a=rtcp-fb:13" not in clean
    assert "a=fmtp:102 level-asymmetry-allowed=1" in clean


def test_sanitize_adds_rtpmap_for_static_audio_payloads() -> None:
    clean = sanitize_offer(PEXIP_OFFER)
    assert "a=rtpmap:0 PCMU/8000" in clean and "a=rtpmap:8 PCMA/8000" in clean


def test_sanitize_result_parses_with_aiortc() -> None:
    from aiortc.sdp import SessionDescription

    parsed = SessionDescription.parse(sanitize_offer(PEXIP_OFFER))
    assert [m.rtp.muxId for m in parsed.media] == ["0", "1", "2"]


def test_media_lines_read_mid_direction_and_content() -> None:
    lines = media_lines(PEXIP_OFFER)
    assert [(m.kind, m.mid, m.direction, m.content) for m in lines] == [
        ("audio", "0", "sendrecv", None),
        ("video", "1", "sendrecv", None),
        ("video", "2", "sendrecv", "slides"),
    ]


def test_roles_of_a_pexip_main_call() -> None:
    roles = assign_roles(media_lines(PEXIP_OFFER), present=None, media_type="video")
    assert roles == [MLineRole.AUDIO, MLineRole.MAIN, MLineRole.SLIDES]


def test_roles_of_an_audio_only_call_turn_video_off() -> None:
    roles = assign_roles(media_lines(PEXIP_OFFER), present=None, media_type="audio")
    assert roles == [MLineRole.AUDIO, MLineRole.OFF, MLineRole.OFF]


def test_roles_of_an_untagged_second_video_line_are_slides() -> None:
    untagged = PEXIP_OFFER.replace("a=content:slides\r\n", "")
    assert assign_roles(media_lines(untagged), present=None, media_type="video")[2] is MLineRole.SLIDES


def test_roles_of_a_present_send_call_receive_presentation_only() -> None:
    roles = assign_roles(media_lines(PEXIP_OFFER), present="send", media_type="video")
    assert roles == [MLineRole.OFF, MLineRole.PRESENT_IN, MLineRole.OFF]


def test_roles_of_a_present_receive_call_send_presentation_only() -> None:
    roles = assign_roles(media_lines(PEXIP_OFFER), present="receive", media_type="video")
    assert roles == [MLineRole.OFF, MLineRole.PRESENT_OUT, MLineRole.OFF]


def test_tag_content_tags_the_presentation_line_of_the_answer() -> None:
    answer = "v=0\r\nm=video 9 X 96\r\na=mid:1\r\nm=video 9 X 96\r\na=mid:2\r\n"
    assert tag_content(answer, "2", "slides").split("\r\n")[5] == "a=content:slides"


def test_bundles_everything_when_the_group_names_every_mid() -> None:
    assert bundles_everything(PEXIP_OFFER)
    assert not bundles_everything(PEXIP_OFFER.replace("a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1"))
