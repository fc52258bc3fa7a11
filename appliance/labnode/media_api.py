"""The seam between the lab node's conference logic and its media.

The conference side (rooms, tokens, roster, events, REST routes) decides
*who* is in the meeting and *what* they should see; the media side
(aiortc peer connections, the video compositor, the audio mixer, bots)
produces the pixels and samples. They meet only through these two
protocols, so each can be read and tested on its own:

* :class:`MediaHub` is what the conference calls: answer an offer, add a
  candidate, close a call, and tell the media what changed (layout order,
  mutes, presenter).
* :class:`MediaEvents` is what the media calls back: voice activity (for
  ``stage`` events and speaker-ordered layouts) and new presentation stills
  (for ``presentation_frame`` events and ``presentation.jpeg``).

They also share the catalogue of views the media can draw
(:func:`resolve_view`, :func:`capacity`): the conference needs it to pick
who is on screen, the compositor to place the tiles.

All methods run on the node's event loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

SUPPORTED_VIEWS: Final = ("1:0", "1:7", "4:0", "9:0")

# Pexip layouts we do not draw, mapped to the nearest one we do.
_FALLBACKS: Final = {
    "1:21": "1:7",
    "2:21": "1:7",
    "1:33": "1:7",
    "1:4": "1:7",
    "5:7": "1:7",
    "teams": "1:7",
    "ac": "9:0",
    "ac_presentation_in_mix": "9:0",
    "ac_presentation_in_mix_group": "9:0",
    "16:0": "9:0",
    "25:0": "9:0",
}

THUMBS_1_7: Final = 7


def resolve_view(view: str) -> str:
    """The layout actually drawn for ``view`` (itself when supported)."""
    if view in SUPPORTED_VIEWS:
        return view
    return _FALLBACKS.get(view, "1:7")


def capacity(view: str) -> int:
    """How many participants the (resolved) layout shows at most."""
    return {"1:0": 1, "1:7": 1 + THUMBS_1_7, "4:0": 4, "9:0": 9}[resolve_view(view)]


@dataclass(frozen=True, slots=True)
class CallRequest:
    """A ``POST participants/{p}/calls`` (or ``calls/{c}/update``) as the media needs it."""

    participant_uuid: str
    call_uuid: str
    display_name: str
    sdp: str
    # "main", "send", "receive" or None (§4.1 ``present``)
    present: str | None = None
    # what the client intends to send: "video", "video-only" or "audio"
    media_type: str = "video"
    # kbps caps from the service (request_token's bandwidth_in/out)
    bandwidth_in: int | None = None
    bandwidth_out: int | None = None


@dataclass(frozen=True, slots=True)
class RtmpCallRequest:
    """A ``POST participants/{p}/calls`` with ``call_type: "RTMP"``: the client will publish."""

    participant_uuid: str
    call_uuid: str
    display_name: str
    # the address the client reached the node on: the RTMP listener binds and is named there
    host: str
    # §4.1 ``streaming``: an RTMP stream (PexRTC "stream") rather than an RTMP video call
    streaming: bool = False
    audio_only: bool = False


@dataclass(frozen=True, slots=True)
class RtmpEndpoint:
    """Where the client publishes: §4.1's ``url`` and ``secure_url``."""

    url: str
    secure_url: str


@dataclass(frozen=True, slots=True)
class MixState:
    """What one listener should see and hear, as decided by the conference."""

    # layout id actually shown ("1:0", "1:7", "4:0", "9:0", ...)
    view: str
    # participant uuids in screen order, main speaker first
    order: Sequence[str]
    # uuid -> overlay text shown under that participant's tile
    overlay_text: Mapping[str, str]
    overlay_text_enabled: bool = True


class MediaEvents(Protocol):
    """Implemented by the conference; called by the media side."""

    def on_voice_activity(self, participant_uuid: str, speaking: bool) -> None:
        """A participant started or stopped speaking (debounced by the media side)."""

    def on_presentation_still(self, jpeg: bytes, high_jpeg: bytes) -> None:
        """A new still of the current presentation is ready (normal and high resolution)."""

    def on_call_closed(self, call_uuid: str, reason: str) -> None:
        """The media of a call ended on its own (ICE or DTLS failure, remote close)."""


class MediaHub(Protocol):
    """Implemented by the media side; called by the conference."""

    async def answer(self, request: CallRequest) -> str:
        """Accept a new call's offer and return the answer SDP."""

    async def ingest_rtmp(self, request: RtmpCallRequest) -> RtmpEndpoint:
        """Open an RTMP listener for a new call; what is published there joins the mix."""

    async def update(self, request: CallRequest) -> str:
        """Renegotiate an existing call (same ``call_uuid``) and return the answer SDP."""

    async def add_remote_candidate(self, call_uuid: str, candidate: Mapping[str, Any]) -> None:
        """A trickled ``{candidate, mid, ufrag?, pwd?}``; empty ``candidate`` ends gathering."""

    async def close_call(self, call_uuid: str) -> None:
        """Stop a call's media; idempotent."""

    def set_mix(self, participant_uuid: str, state: MixState) -> None:
        """What this participant's composed stream should show from now on."""

    def set_participant_media(
        self,
        participant_uuid: str,
        *,
        audio_muted: bool,
        video_muted: bool,
        receives_presentation: bool,
        in_conference: bool,
    ) -> None:
        """Admin mute, video mute, rx presentation policy, and whether the participant is
        in the meeting proper (False while in a waiting room: nothing mixed either way)."""

    def set_presenter(self, participant_uuid: str | None) -> None:
        """Who holds the floor; ``None`` when nobody presents."""

    def add_bot(self, participant_uuid: str, display_name: str) -> None:
        """Start a synthetic participant's test pattern and speech-like tone."""

    def remove_participant(self, participant_uuid: str) -> None:
        """Forget a participant (bot or real) and close its calls."""

    def call_statistics(self, call_uuid: str) -> Mapping[str, Any]:
        """Counters for a call, for the node's own diagnostics and tests."""

    def impair(self, participant_uuid: str, fault: str) -> int:
        """Fault injection on a participant's current calls; returns how many were impaired.

        ``"stop-sending"``: no more RTP to it while ICE, DTLS and RTCP go on.
        ``"black-hole"``: every packet of the call's path dropped both ways
        (ICE consent fails on both ends). Calls made later are not affected.
        """

    async def close(self) -> None:
        """Stop every call and bot; the node is shutting down."""
