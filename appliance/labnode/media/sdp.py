"""Reading Pexip-style offers before aiortc sees them, and marking our answers.

Pexip's clients offer three bundled m-lines (audio, main video, and a video
line tagged ``a=content:slides`` for presentation); older ones open separate
``present: send/receive`` calls instead. The browser's payload lists also
name codecs that have no ``rtpmap`` line, with ``fmtp``/``rtcp-fb`` lines for
them, which aiortc's parser rejects; :func:`sanitize_offer` removes exactly
those so any offer a browser accepts, we accept. Pure text in, text out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from aiortc.sdp import SessionDescription

from appliance.errors import MediaError

# Static payload types a browser may list without rtpmap (RFC 3551).
_STATIC_RTPMAP: Final = {0: "PCMU/8000", 8: "PCMA/8000", 9: "G722/8000"}
_PT_ATTR: Final = re.compile(r"^a=(fmtp|rtcp-fb|rtpmap):(\d+)\b")


class Role(StrEnum):
    """What an m-line carries in our answer."""

    AUDIO = "audio"  # mixed audio out, the participant's voice in
    MAIN = "main"  # composed video out, the participant's camera in
    SLIDES = "slides"  # presentation out, the participant's own presentation in
    PRESENT_IN = "present_in"  # present="send" call: presentation in only
    PRESENT_OUT = "present_out"  # present="receive" call: presentation out only
    OFF = "off"  # answered inactive

    @property
    def direction(self) -> str:
        return {
            Role.PRESENT_IN: "recvonly",
            Role.PRESENT_OUT: "sendonly",
            Role.OFF: "inactive",
        }.get(self, "sendrecv")


@dataclass(frozen=True, slots=True)
class MLine:
    index: int
    kind: str
    mid: str
    direction: str
    content: str | None


def _split(sdp: str) -> tuple[list[str], list[list[str]]]:
    lines = [line for line in sdp.replace("\r\n", "\n").split("\n") if line]
    session: list[str] = []
    media: list[list[str]] = []
    for line in lines:
        if line.startswith("m="):
            media.append([line])
        elif media:
            media[-1].append(line)
        else:
            session.append(line)
    return session, media


def sanitize_offer(sdp: str) -> str:
    """Make a browser offer parseable by aiortc without changing what it means."""
    session, media = _split(sdp)
    if not media:
        raise MediaError("offer has no m-line")
    out = list(session)
    for section in media:
        head = section[0].split()
        if head[0] not in ("m=audio", "m=video"):
            out += section
            continue
        payloads = [int(p) for p in head[3:] if p.isdigit()]
        mapped = {
            int(m.group(2)) for line in section if (m := _PT_ATTR.match(line)) and m.group(1) == "rtpmap"
        }
        kept = [section[0]]
        for line in section[1:]:
            m = _PT_ATTR.match(line)
            if m and m.group(1) != "rtpmap" and int(m.group(2)) not in mapped:
                continue
            kept.append(line)
        for pt in payloads:
            if pt not in mapped and pt in _STATIC_RTPMAP and head[0] == "m=audio":
                kept.append(f"a=rtpmap:{pt} {_STATIC_RTPMAP[pt]}")
        out += kept
    return "\r\n".join(out) + "\r\n"


def offered_video_codecs(sdp: str) -> list[str]:
    """The first video m-line's codecs in the offerer's order, as lower-case MIME types.

    A Conferencing Node answers with the client's preferred codec when it
    can: PexRTC and our own engine put H.264 first (a Pi 4 decodes it in
    hardware), browsers often VP8.
    """
    _, media = _split(sdp)
    for section in media:
        head = section[0].split()
        if head[0] != "m=video":
            continue
        names = {}
        for line in section[1:]:
            m = _PT_ATTR.match(line)
            if m and m.group(1) == "rtpmap":
                names[int(m.group(2))] = "video/" + line.split(" ", 1)[1].split("/", 1)[0].lower()
        return [names[int(p)] for p in head[3:] if p.isdigit() and int(p) in names]
    return []


def media_lines(sdp: str) -> list[MLine]:
    """The m-lines of an offer, in order, with mid, direction and ``a=content``."""
    _, media = _split(sdp)
    result = []
    for index, section in enumerate(media):
        kind = section[0][2:].split()[0]
        mid = str(index)
        direction = "sendrecv"
        content = None
        for line in section[1:]:
            if line.startswith("a=mid:"):
                mid = line[6:].strip()
            elif line[2:] in ("sendrecv", "sendonly", "recvonly", "inactive") and line.startswith("a="):
                direction = line[2:]
            elif line.startswith("a=content:"):
                content = line[10:].strip()
        result.append(MLine(index, kind, mid, direction, content))
    return result


def bundles_everything(sdp: str) -> bool:
    """True when one ``a=group:BUNDLE`` names every m-line's mid."""
    session, _ = _split(sdp)
    mids = {line.mid for line in media_lines(sdp)}
    for line in session:
        if line.startswith("a=group:BUNDLE"):
            return mids <= set(line.split()[1:])
    return False


def assign_roles(lines: list[MLine], *, present: str | None, media_type: str) -> list[Role]:
    """Decide what each m-line carries, from the ``present`` mode and the offer's tags."""
    roles: list[Role] = []
    videos = [line for line in lines if line.kind == "video"]
    if present == "send":
        first = videos[0] if videos else None
        return [Role.PRESENT_IN if line is first else Role.OFF for line in lines]
    if present == "receive":
        first = videos[0] if videos else None
        return [Role.PRESENT_OUT if line is first else Role.OFF for line in lines]
    slides = next((v for v in videos if v.content == "slides"), None)
    main = next((v for v in videos if v is not slides and v.content in (None, "main")), None)
    if slides is None and main is not None and len(videos) > 1:
        slides = next(v for v in videos if v is not main)
    audio_seen = False
    for line in lines:
        if line.kind == "audio" and not audio_seen:
            audio_seen = True
            roles.append(Role.AUDIO)
        elif line.kind == "video" and media_type != "audio" and line is main:
            roles.append(Role.MAIN)
        elif line.kind == "video" and media_type != "audio" and line is slides:
            roles.append(Role.SLIDES)
        else:
            roles.append(Role.OFF)
    return roles


def mark_slides(answer: str, mids: list[str]) -> str:
    """Tag our answer's presentation m-lines ``a=content:slides`` as Pexip's node does."""
    if not mids:
        return answer
    out = []
    for line in answer.split("\r\n"):
        out.append(line)
        if line.startswith("a=mid:") and line[6:] in mids:
            out.append("a=content:slides")
    return "\r\n".join(out)


def negotiated_codecs(answer: str) -> dict[str, str]:
    """mid -> mime type of the first codec our answer lists (the one we send)."""
    parsed = SessionDescription.parse(answer)
    result = {}
    for media in parsed.media:
        if media.kind in ("audio", "video") and media.rtp.codecs and media.rtp.muxId is not None:
            result[media.rtp.muxId] = media.rtp.codecs[0].mimeType
    return result
