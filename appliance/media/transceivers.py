"""Transceivers of a call's peer connection, laid out and re-laid per :class:`LinePlan`.

Kept apart from the engine because it is the part that knows aiortc's
transceiver model: a transceiver is created per m-line in order (so mid 0,
1, 2 follow the plan), a send direction needs a track on the sender, and an
answering connection gets its transceivers from the remote offer and has
our relays attached afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from appliance.media import sdp as sdp_text
from appliance.media.plan import LinePlan
from appliance.media.sources import OutgoingTrack


def relay_for(line: LinePlan, relays: Sequence[OutgoingTrack]) -> OutgoingTrack:
    """The relay a line sends from; ``relays`` is (audio, main video, presentation)."""
    if line.content == "slides":
        return relays[2]
    return relays[0] if line.kind == "audio" else relays[1]


def add_lines(
    pc: RTCPeerConnection,
    lines: Sequence[LinePlan],
    relays: Sequence[OutgoingTrack],
    video_codecs: list[RTCRtpCodecCapability],
) -> None:
    """One transceiver per line, in order; video lines get the codec preferences."""
    for line in lines:
        relay = relay_for(line, relays)
        transceiver = pc.addTransceiver(relay if "send" in line.direction else line.kind, line.direction)
        if line.kind == "video":
            transceiver.setCodecPreferences(video_codecs)


def apply_lines(
    pc: RTCPeerConnection,
    lines: Sequence[LinePlan],
    relays: Sequence[OutgoingTrack],
    video_codecs: list[RTCRtpCodecCapability],
) -> None:
    """Bring existing transceivers to ``lines``: add missing ones (escalation), idle extra ones."""
    transceivers = pc.getTransceivers()
    for index, line in enumerate(lines):
        if index >= len(transceivers):
            add_lines(pc, lines[index:], relays, video_codecs)
            break
        transceiver = transceivers[index]
        if "send" in line.direction and transceiver.sender.track is None:
            transceiver.sender.replaceTrack(relay_for(line, relays))
        transceiver.direction = line.direction
    for transceiver in transceivers[len(lines) :]:
        transceiver.direction = "inactive"  # a downgrade (video -> audioonly) keeps the m-line, idle


def attach_to_offer(
    pc: RTCPeerConnection,
    offer_sdp: str,
    *,
    audio: OutgoingTrack | None,
    video: OutgoingTrack | None,
    screen: OutgoingTrack,
) -> None:
    """After a remote offer: send on its audio line, its first plain video line and its slides line."""
    contents = {mid: sdp_text.content_of(offer_sdp, mid) for mid in sdp_text.mids(offer_sdp)}
    main_video_done = False
    for transceiver in pc.getTransceivers():
        relay: OutgoingTrack | None
        if transceiver.kind == "audio":
            relay = audio
        elif contents.get(transceiver.mid or "") == "slides":
            relay = screen
        elif not main_video_done:
            main_video_done = True
            relay = video
        else:
            relay = None
        if relay is not None and transceiver.sender.track is None:
            transceiver.sender.replaceTrack(relay)
            transceiver.direction = "sendrecv"
