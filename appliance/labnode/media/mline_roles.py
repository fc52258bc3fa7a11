"""What each m-line of a Pexip-style offer carries in the lab node's answer.

Pexip's clients offer three bundled m-lines (audio, main video, and a video
line tagged ``a=content:slides`` for presentation); older ones open separate
``present: send/receive`` calls instead. The SDP text itself is read and
written by the repository's one SDP module, :mod:`appliance.media.sdp`; this
module only decides, per m-line, what the answer puts on it.
"""

from __future__ import annotations

from enum import StrEnum

from appliance.media.sdp import MLine


class MLineRole(StrEnum):
    """What an m-line carries in our answer (not a participant's Host/Guest ``Role``)."""

    AUDIO = "audio"  # mixed audio out, the participant's voice in
    MAIN = "main"  # composed video out, the participant's camera in
    SLIDES = "slides"  # presentation out, the participant's own presentation in
    PRESENT_IN = "present_in"  # present="send" call: presentation in only
    PRESENT_OUT = "present_out"  # present="receive" call: presentation out only
    OFF = "off"  # answered inactive

    @property
    def direction(self) -> str:
        return {
            MLineRole.PRESENT_IN: "recvonly",
            MLineRole.PRESENT_OUT: "sendonly",
            MLineRole.OFF: "inactive",
        }.get(self, "sendrecv")


def assign_roles(lines: list[MLine], *, present: str | None, media_type: str) -> list[MLineRole]:
    """Decide what each m-line carries, from the ``present`` mode and the offer's tags."""
    roles: list[MLineRole] = []
    videos = [line for line in lines if line.kind == "video"]
    if present == "send":
        first = videos[0] if videos else None
        return [MLineRole.PRESENT_IN if line is first else MLineRole.OFF for line in lines]
    if present == "receive":
        first = videos[0] if videos else None
        return [MLineRole.PRESENT_OUT if line is first else MLineRole.OFF for line in lines]
    slides = next((v for v in videos if v.content == "slides"), None)
    main = next((v for v in videos if v is not slides and v.content in (None, "main")), None)
    if slides is None and main is not None and len(videos) > 1:
        slides = next(v for v in videos if v is not main)
    audio_seen = False
    for line in lines:
        if line.kind == "audio" and not audio_seen:
            audio_seen = True
            roles.append(MLineRole.AUDIO)
        elif line.kind == "video" and media_type != "audio" and line is main:
            roles.append(MLineRole.MAIN)
        elif line.kind == "video" and media_type != "audio" and line is slides:
            roles.append(MLineRole.SLIDES)
        else:
            roles.append(MLineRole.OFF)
    return roles
