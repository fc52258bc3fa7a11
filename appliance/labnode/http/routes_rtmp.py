"""``POST participants/{p}/calls`` with ``call_type: "RTMP"`` (reference §4.1).

Infinity answers an RTMP call with somewhere to publish, ``{call_uuid,
url, secure_url}``, not an SDP answer; the participant then shows
``protocol: "rtmp"`` and, for PexRTC's "stream" call type, is marked as a
streaming participant. The media side (:meth:`MediaHub.ingest_rtmp`)
listens and mixes; this handler only validates and records.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from aiohttp import web

from appliance.errors import MediaError
from appliance.labnode.http.envelope import ok
from appliance.labnode.http.routes_participant import Context
from appliance.labnode.media_api import MediaHub, RtmpCallRequest
from appliance.labnode.state.refusals import ApiError

T = TypeVar("T")

_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0", "")


def is_rtmp(body: dict[str, Any]) -> bool:
    call_type = body.get("call_type")
    return isinstance(call_type, str) and call_type.upper() == "RTMP"


def rtmp_flag(body: dict[str, Any], name: str) -> bool:
    """A boolean as PexRTC sends it: JSON ``true``, or old PexRTC's string ``"true"``."""
    value = body.get(name, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE + _FALSE:
        return value.lower() in _TRUE
    raise ApiError(400, f"Field {name}: expected true or false, found {value!r}")


def local_host(request: web.Request) -> str:
    """The address the client reached us on: an RTMP URL the client can reach too."""
    sockname = request.transport.get_extra_info("sockname") if request.transport is not None else None
    if isinstance(sockname, tuple) and sockname:
        return str(sockname[0])
    return request.url.host or "127.0.0.1"


async def media_opened(ctx: Context, hub: MediaHub, call_uuid: str, opening: Awaitable[T], what: str) -> T:
    """Await the hub ``opening`` a call's media; a media failure is a 500 naming ``what``.

    The participant may leave while the hub works (a WebRTC answer or an
    RTMP listener takes a moment): then the media just opened is closed
    again and the request refused, so no call outlives its participant.
    """
    try:
        opened = await opening
    except MediaError as exc:
        raise ApiError(500, f"Media failed to {what}: {exc}") from None
    if ctx.member.gone:
        await hub.close_call(call_uuid)
        raise ApiError(403, "Participant left while the call was being set up")
    return opened


async def rtmp_call(
    ctx: Context, hub: MediaHub, request: web.Request, call_uuid: str, body: dict[str, Any]
) -> web.Response:
    streaming = rtmp_flag(body, "streaming")
    audio_only = rtmp_flag(body, "audioonly")
    media_type = "audio" if audio_only else "video"
    call = RtmpCallRequest(
        participant_uuid=ctx.member.uuid,
        call_uuid=call_uuid,
        display_name=ctx.member.participant.display_name,
        host=local_host(request),
        streaming=streaming,
        audio_only=audio_only,
    )
    endpoint = await media_opened(ctx, hub, call_uuid, hub.ingest_rtmp(call), "open an RTMP listener")
    ctx.conference.call_added(ctx.member, call_uuid, media_type, protocol="rtmp", streaming=streaming)
    return ok({"call_uuid": call_uuid, "url": endpoint.url, "secure_url": endpoint.secure_url})
