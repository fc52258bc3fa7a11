"""SDP text rewriting and reading: pure functions, no I/O.

The one SDP text module of the repository: the client's media engine and the
lab node's media hub both read and write SDP through it, so an m-line's mid,
direction or ``a=content`` tag is read one way on both ends of a lab call.
Sections are split with aiortc's own :func:`aiortc.sdp.grouplines`.

aiortc produces standards-shaped SDP but knows nothing of what a Pexip node
expects of a PexRTC-style offer (reference §4.2 and §13): the presentation
m-line must carry ``a=content:slides``, candidates are trickled rather than
inline, and bandwidth limits travel as ``b=AS``/``b=TIAS`` lines. aiortc has
no API for any of this, so the engine rewrites the text here. Everything is
a plain ``str -> str`` (or ``str -> value``) function so it can be tested
without a peer connection.

A Pexip-style offer also names codecs that have no ``rtpmap`` line, with
``fmtp``/``rtcp-fb`` lines for them, which aiortc's parser rejects;
:func:`sanitize_offer` removes exactly those (the lab node answers browser
offers with it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from aiortc.sdp import SessionDescription, grouplines

from appliance.errors import MediaError

SLIDES_MID = "2"
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
# Static payload types a browser may list without rtpmap (RFC 3551).
_STATIC_RTPMAP: Final = {0: "PCMU/8000", 8: "PCMA/8000", 9: "G722/8000"}
_PT_ATTR: Final = re.compile(r"^a=(fmtp|rtcp-fb|rtpmap):(\d+)\b")


def _split(sdp: str) -> tuple[list[str], list[list[str]]]:
    """Session lines and the list of media sections (each starting with its ``m=`` line).

    aiortc's :func:`~aiortc.sdp.grouplines`, without the blank lines a
    hand-written or trailing-newline text may carry.
    """
    session, sections = grouplines(sdp)
    return [line for line in session if line], [[line for line in section if line] for section in sections]


def _join(session: list[str], sections: list[list[str]]) -> str:
    out = list(session)
    for section in sections:
        out.extend(section)
    return "\r\n".join(out) + "\r\n"


def _mid(section: list[str]) -> str | None:
    for line in section:
        if line.startswith("a=mid:"):
            return line[len("a=mid:") :].strip()
    return None


def _kind(section: list[str]) -> str:
    return section[0][2:].split(" ", 1)[0]


def tag_content(sdp: str, mid: str, content: str) -> str:
    """Add ``a=content:<content>`` to the m-section ``mid`` (replacing any earlier tag).

    Pexip routes the third video m-line to the presentation channel only when
    it is tagged ``slides``; aiortc has no notion of RFC 4796 content.
    """
    session, sections = _split(sdp)
    for section in sections:
        if _mid(section) != mid:
            continue
        section[:] = [line for line in section if not line.startswith("a=content:")]
        position = next(i for i, line in enumerate(section) if line.startswith("a=mid:"))
        section.insert(position + 1, f"a=content:{content}")
    return _join(session, sections)


def content_of(sdp: str, mid: str) -> str | None:
    """The ``a=content`` tag of m-section ``mid``, if any."""
    return next((line.content for line in media_lines(sdp) if line.mid == mid), None)


def set_bandwidth(sdp: str, kbps: int | None, kinds: Iterable[str] = ("video",)) -> str:
    """Put ``b=AS:<kbps>`` and ``b=TIAS:<bps>`` on every m-section of ``kinds``.

    In an offer these lines cap what the far end may send us (our
    ``bandwidth_in``); ``None`` removes earlier limits. The lines go right
    after ``c=``, where RFC 4566 orders them.
    """
    wanted = set(kinds)
    session, sections = _split(sdp)
    for section in sections:
        if _kind(section) not in wanted:
            continue
        section[:] = [line for line in section if not line.startswith("b=")]
        if kbps is None:
            continue
        position = next((i for i, line in enumerate(section) if line.startswith("c=")), 0)
        section.insert(position + 1, f"b=TIAS:{kbps * 1000}")
        section.insert(position + 1, f"b=AS:{kbps}")
    return _join(session, sections)


def bandwidth_kbps(sdp: str, kind: str = "video") -> int | None:
    """The tightest ``b=AS`` / ``b=TIAS`` limit on ``kind`` m-sections, in kbps."""
    limits: list[int] = []
    for section in _split(sdp)[1]:
        if _kind(section) != kind:
            continue
        for line in section:
            if line.startswith("b=AS:"):
                limits.append(int(line[5:]))
            elif line.startswith("b=TIAS:"):
                limits.append(int(line[7:]) // 1000)
    return min(limits) if limits else None


def strip_candidates(sdp: str) -> str:
    """Remove inline candidates: PexRTC trickles them after the ``calls`` answer (§13)."""
    session, sections = _split(sdp)
    for section in sections:
        section[:] = [
            line for line in section if not line.startswith("a=candidate:") and line != "a=end-of-candidates"
        ]
    return _join(session, sections)


@dataclass(frozen=True, slots=True)
class LocalCandidate:
    """One ``a=candidate`` line of our offer, ready for ``new_candidate``."""

    candidate: str
    mid: str
    ufrag: str
    pwd: str

    def to_wire(self) -> dict[str, str]:
        return {"candidate": self.candidate, "mid": self.mid, "ufrag": self.ufrag, "pwd": self.pwd}


def bundle_groups(sdp: str) -> list[list[str]]:
    """The mids of each ``a=group:BUNDLE`` line, in order (the first mid owns the transport)."""
    session, _ = _split(sdp)
    return [line.split()[1:] for line in session if line.startswith("a=group:BUNDLE ")]


def transport_mids(sdp: str) -> list[str]:
    """The mids that own a transport: each bundle's first mid, and every m-section outside a bundle.

    Candidates and end-of-candidates belong to these alone: under BUNDLE the
    other m-sections share the first one's transport (RFC 9143).
    """
    bundled: dict[str, str] = {}
    for group in bundle_groups(sdp):
        for mid in group:
            bundled.setdefault(mid, group[0])
    _, sections = _split(sdp)
    owners: list[str] = []
    for index, section in enumerate(sections):
        mid = _mid(section) or str(index)
        owner = bundled.get(mid, mid)
        if owner not in owners:
            owners.append(owner)
    return owners


def candidates(sdp: str) -> list[LocalCandidate]:
    """Every local candidate once, tagged with the mid of the transport it belongs to.

    aiortc repeats the bundle transport's candidates in every bundled
    m-section; they are one transport's candidates, so they are reported once,
    on the bundle's first mid (as a browser trickles them), with that
    section's ICE credentials.
    """
    session, sections = _split(sdp)
    session_ufrag = _attribute(session, "ice-ufrag") or ""
    session_pwd = _attribute(session, "ice-pwd") or ""
    owners = set(transport_mids(sdp))
    found: list[LocalCandidate] = []
    for index, section in enumerate(sections):
        mid = _mid(section) or str(index)
        if mid not in owners:
            continue
        ufrag = _attribute(section, "ice-ufrag") or session_ufrag
        pwd = _attribute(section, "ice-pwd") or session_pwd
        for line in section:
            if line.startswith("a=candidate:"):
                found.append(LocalCandidate("candidate:" + line[len("a=candidate:") :], mid, ufrag, pwd))
    return found


def declare_trickle(sdp: str) -> str:
    """Add ``a=ice-options:trickle`` to every m-section that has no ``ice-options`` yet.

    Our offer goes out without candidates and they follow by ``new_candidate``
    (§13); RFC 8840 asks an offer that trickles to say so, as the browser
    offers pexrtc.js sends do.
    """
    session, sections = _split(sdp)
    for section in sections:
        if not any(line.startswith("a=ice-options:") for line in section):
            at = next(
                (i + 1 for i, line in enumerate(section) if line.startswith("a=ice-pwd:")), len(section)
            )
            section.insert(at, "a=ice-options:trickle")
    return _join(session, sections)


def _attribute(lines: list[str], name: str) -> str | None:
    prefix = f"a={name}:"
    for line in lines:
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    return None


def directions(sdp: str) -> dict[str, str]:
    """``{mid: direction}`` of every m-section: ``sendrecv`` when none is written, ``inactive`` on port 0."""
    return {line.mid: "inactive" if line.port == 0 else line.direction for line in media_lines(sdp)}


def fingerprints(sdp: str | None) -> list[str]:
    """The ``a=fingerprint:`` values with whitespace removed, in SDP order."""
    if not sdp:
        return []
    return [
        re.sub(r"\s+", "", line[len("a=fingerprint:") :])
        for line in sdp.replace("\r\n", "\n").split("\n")
        if line.startswith("a=fingerprint:")
    ]


def secure_check_code(local_sdp: str | None, remote_sdp: str | None) -> str:
    """PexRTC's secure check code (reference §4.4), identical on both ends of a call.

    SHA-256 hex of the two sides' sorted, joined fingerprints, the pair
    itself sorted so that neither end's view of "local" matters. ``INVALID``
    when either side has no fingerprint: there is nothing to compare.
    """
    local = "".join(sorted(set(fingerprints(local_sdp))))
    remote = "".join(sorted(set(fingerprints(remote_sdp))))
    if not local or not remote:
        return "INVALID"
    return hashlib.sha256("".join(sorted([local, remote])).encode()).hexdigest()


def mids(sdp: str) -> list[str]:
    """The mids of all m-sections, in order."""
    return [line.mid for line in media_lines(sdp)]


def kinds_by_mid(sdp: str) -> Mapping[str, str]:
    """``{mid: "audio" | "video"}``."""
    return {line.mid: line.kind for line in media_lines(sdp)}


@dataclass(frozen=True, slots=True)
class MLine:
    """One m-section as written: its kind, port, mid, direction and ``a=content`` tag."""

    index: int
    kind: str
    port: int
    mid: str
    direction: str
    content: str | None


def media_lines(sdp: str) -> list[MLine]:
    """The m-sections in order; the mid is the index when none is written, the direction ``sendrecv``."""
    result = []
    for index, section in enumerate(_split(sdp)[1]):
        head = section[0][2:].split()
        port = int(head[1]) if len(head) > 1 and head[1].isdigit() else 0
        direction = "sendrecv"
        for line in section[1:]:
            if line.startswith("a=") and line[2:] in _DIRECTIONS:
                direction = line[2:]
        mid = _mid(section) or str(index)
        result.append(MLine(index, head[0], port, mid, direction, _attribute(section, "content")))
    return result


def bundles_everything(sdp: str) -> bool:
    """True when the first ``a=group:BUNDLE`` names every m-section's mid."""
    groups = bundle_groups(sdp)
    return bool(groups) and set(mids(sdp)) <= set(groups[0])


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
    for section in _split(sdp)[1]:
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


def negotiated_codecs(answer: str) -> dict[str, str]:
    """mid -> MIME type of the first codec an answer lists (the one its writer sends)."""
    parsed = SessionDescription.parse(answer)
    result = {}
    for media in parsed.media:
        if media.kind in ("audio", "video") and media.rtp.codecs and media.rtp.muxId is not None:
            result[media.rtp.muxId] = media.rtp.codecs[0].mimeType
    return result
