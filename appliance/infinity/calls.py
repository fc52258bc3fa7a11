"""The call endpoints the media layer drives (§3.3, §4): offer, answer, trickle.

The media engine owns the peer connection; this object only carries its
SDP and candidates to the node and back, accepting every answer form real
nodes use (``update`` answers as an object or a bare SDP string; ``calls``
may answer with an empty SDP in direct media and RTMP).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from appliance.infinity.errors import FloorRefused, ProtocolError, RequestRefused
from appliance.infinity.http import segment
from appliance.infinity.models import FECC_ACTIONS, FECC_DIRECTIONS
from appliance.infinity.scope import Scope

CALL_TYPES = ("WEBRTC", "RTMP", "presentation")
PRESENT_VALUES = ("main", "send", "receive")
MEDIA_TYPES = ("video", "video-only", "audio")


@dataclass(frozen=True, slots=True)
class CallInfo:
    call_uuid: str
    sdp: str
    offer_ignored: bool = False
    turn: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # RTMP calls (§4.1): where to publish instead of an SDP answer
    url: str = ""
    secure_url: str = field(default="", repr=False)


def fecc_body(action: str, axis: str, direction: str, timeout_ms: int | None) -> dict[str, Any]:
    """Validate FECC vocabulary locally: a typo must not become a silent no-op on the node."""
    if action not in FECC_ACTIONS:
        raise ValueError(f"FECC action: expected one of {', '.join(FECC_ACTIONS)}, found {action!r}")
    directions = FECC_DIRECTIONS.get(axis)
    if directions is None:
        raise ValueError(f"FECC axis: expected pan, tilt or zoom, found {axis!r}")
    if direction not in directions:
        raise ValueError(
            f"FECC direction for {axis}: expected {' or '.join(directions)}, found {direction!r}"
        )
    body: dict[str, Any] = {"action": action, "movement": [{"axis": axis, "direction": direction}]}
    if timeout_ms is not None:
        body["timeout"] = int(timeout_ms)
    return body


class CallControl:
    """Call-level operations for the own participant (§3.3, §4)."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self._serial: dict[str, asyncio.Lock] = {}

    def for_breakout(self, breakout_uuid: str, participant_uuid: str) -> CallControl:
        return CallControl(self._scope.for_breakout(breakout_uuid, participant_uuid))

    def _call_path(self, call_uuid: str, relative: str, operation: str) -> str:
        if not call_uuid:
            raise ValueError(f"{operation}: call_uuid must not be empty")
        return self._scope.participant_path(None, f"calls/{segment(call_uuid)}/{relative}", operation)

    async def create_call(
        self,
        sdp: str,
        *,
        present: str | None = None,
        call_type: str = "WEBRTC",
        media_type: str = "video",
        fecc_supported: bool = False,
        **extra: Any,
    ) -> CallInfo:
        operation = "start the media call"
        if present is not None and present not in PRESENT_VALUES:
            raise ValueError(f"present: expected main, send, receive or None, found {present!r}")
        if media_type not in MEDIA_TYPES:
            raise ValueError(f"media_type: expected video, video-only or audio, found {media_type!r}")
        body: dict[str, Any] = {
            "call_type": call_type,
            "sdp": sdp,
            "media_type": media_type,
            "fecc_supported": fecc_supported,
        }
        if present is not None:
            body["present"] = present
        body.update(extra)
        result = await self._scope.post(
            self._scope.participant_path(None, "calls", operation), operation, body
        )
        return parse_call_info(operation, result)

    async def create_rtmp_call(
        self, *, streaming: bool, bandwidth_kbps: int | None = None, audio_only: bool = False
    ) -> CallInfo:
        """An RTMP call (PexRTC "rtmp"/"stream"): the answer says where to publish, not an SDP.

        ``audioonly`` is sent only when true, as old PexRTC did; modern nodes
        infer it from what is published.
        """
        operation = "start the RTMP call"
        body: dict[str, Any] = {"call_type": "RTMP", "streaming": streaming}
        if bandwidth_kbps is not None:
            body["bandwidth"] = int(bandwidth_kbps)
        if audio_only:
            body["audioonly"] = True
        result = await self._scope.post(
            self._scope.participant_path(None, "calls", operation), operation, body
        )
        info = parse_call_info(operation, result)
        if not info.url and not info.secure_url:
            raise ProtocolError(operation, "the node's answer has no RTMP url")
        return info

    async def ack(self, call_uuid: str, sdp: str | None = None, offer_ignored: bool = False) -> None:
        operation = "acknowledge the media call"
        body: dict[str, Any] = {}
        if sdp is not None:
            body["sdp"] = sdp
        if offer_ignored:
            body["offer_ignored"] = True
        await self._scope.post(self._call_path(call_uuid, "ack", operation), operation, body)

    async def new_candidate(
        self,
        call_uuid: str,
        candidate: str,
        mid: str | None,
        ufrag: str | None = None,
        pwd: str | None = None,
    ) -> None:
        """``candidate=""`` is end-of-candidates for ``mid``."""
        operation = "send an ICE candidate"
        body: dict[str, Any] = {"candidate": candidate, "mid": mid}
        if ufrag is not None:
            body["ufrag"] = ufrag
        if pwd is not None:
            body["pwd"] = pwd
        await self._scope.post(self._call_path(call_uuid, "new_candidate", operation), operation, body)

    async def update(self, call_uuid: str, sdp: str, **extra: Any) -> str:
        """Renegotiate; returns the answer SDP whichever form the node used."""
        operation = "renegotiate the media call"
        body: dict[str, Any] = {"sdp": sdp, **extra}
        result = await self._scope.post(self._call_path(call_uuid, "update", operation), operation, body)
        if isinstance(result, str):
            return result
        if isinstance(result, Mapping) and isinstance(result.get("sdp"), str):
            return str(result["sdp"])
        raise ProtocolError(operation, "the node's answer carries no SDP")

    async def disconnect_call(self, call_uuid: str) -> None:
        operation = "hang up the media call"
        await self._scope.post(self._call_path(call_uuid, "disconnect", operation), operation, {})

    async def take_floor(self, jpegs: bool = False) -> None:
        operation = "start presenting"
        path = self._scope.participant_path(None, "take_floor", operation)
        try:
            await self._scope.post(path, operation, {"jpegs": True} if jpegs else None)
        except RequestRefused as exc:
            raise FloorRefused(
                operation, f"the node would not let us present ({exc.reason or 'refused'})", status=exc.status
            ) from None

    async def release_floor(self) -> None:
        operation = "stop presenting"
        await self._scope.post(self._scope.participant_path(None, "release_floor", operation), operation)

    async def call_statistics(self, call_uuid: str, stats: Mapping[str, Any]) -> None:
        operation = "send call statistics"
        await self._scope.post(self._call_path(call_uuid, "statistics", operation), operation, dict(stats))

    async def send_dtmf(self, call_uuid: str, digits: str) -> bool:
        operation = "send DTMF into the call"
        check_dtmf(digits)
        async with self._lock(f"dtmf:{call_uuid}"):
            result = await self._scope.post(
                self._call_path(call_uuid, "dtmf", operation), operation, {"digits": digits}
            )
        return bool(result)

    async def send_fecc(
        self, call_uuid: str, action: str, axis: str, direction: str, *, timeout_ms: int | None = 1000
    ) -> bool:
        operation = "send camera control into the call"
        body = fecc_body(action, axis, direction, timeout_ms)
        async with self._lock(f"fecc:{call_uuid}"):
            result = await self._scope.post(self._call_path(call_uuid, "fecc", operation), operation, body)
        return bool(result)

    def _lock(self, key: str) -> asyncio.Lock:
        """PexRTC sends DTMF and FECC one at a time per target, next after the answer."""
        return self._serial.setdefault(key, asyncio.Lock())


_DTMF_DIGITS = frozenset("0123456789*#ABCD")


def check_dtmf(digits: str) -> None:
    if not digits or not set(digits) <= _DTMF_DIGITS:
        raise ValueError(f"DTMF digits: expected characters from 0-9 * # A-D, found {digits!r}")


def parse_call_info(operation: str, result: Any) -> CallInfo:
    if not isinstance(result, Mapping):
        raise ProtocolError(operation, f"expected a call object, found {type(result).__name__}")
    call_uuid = result.get("call_uuid")
    if not isinstance(call_uuid, str) or not call_uuid:
        raise ProtocolError(operation, "the node's answer has no call_uuid")
    sdp = result.get("sdp") or ""
    if not isinstance(sdp, str):
        raise ProtocolError(operation, "the node's answer SDP is not a string")
    turn = result.get("turn") or []
    url, secure_url = result.get("url"), result.get("secure_url")
    return CallInfo(
        url=url if isinstance(url, str) else "",
        secure_url=secure_url if isinstance(secure_url, str) else "",
        call_uuid=call_uuid,
        sdp=sdp,
        offer_ignored=result.get("offer_ignored") is True,
        turn=tuple(t for t in turn if isinstance(t, Mapping)) if isinstance(turn, list) else (),
        raw=dict(result),
    )
