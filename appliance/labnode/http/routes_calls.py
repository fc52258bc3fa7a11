"""Media call endpoints and presentation stills (reference §3.3, §4).

The node's conference logic never touches SDP: these handlers validate the
request, hand it to the conference's :class:`MediaHub`, and record the
result in the roster (``has_media``, media type). A node started without
media answers ``calls`` with 503 and a sentence saying so; it never
returns a made-up SDP.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Final

from aiohttp import web

from appliance.errors import MediaError
from appliance.labnode.http.envelope import ok, read_object
from appliance.labnode.http.routes_participant import PARTICIPANT, Context, fecc_signal
from appliance.labnode.http.routes_rtmp import is_rtmp, media_opened, rtmp_call
from appliance.labnode.http.routes_token import BANDWIDTH_KBPS, CONFERENCE
from appliance.labnode.media_api import CallRequest, MediaHub
from appliance.labnode.state.node import STATE
from appliance.labnode.state.refusals import ApiError, field_bool, field_str

CALL: Final = PARTICIPANT + "/calls/{call}"
_PRESENT: Final = (None, "main", "send", "receive")
_MEDIA_TYPES: Final = ("video", "video-only", "audio")
JPEG_MAGIC: Final = b"\xff\xd8"


def _hub(ctx: Context) -> MediaHub:
    hub = ctx.conference.ensure_hub()
    if hub is None:
        reason = ctx.state.media_unavailable or "media is disabled (the node was started with media=False)"
        raise ApiError(503, f"Cannot accept calls: {reason}")
    return hub


def _call_request(ctx: Context, call_uuid: str, body: dict[str, object]) -> CallRequest:
    call_type = field_str(body, "call_type", default="WEBRTC")
    if call_type.upper() != "WEBRTC":
        raise ApiError(400, f"call_type {call_type!r} is not supported by the lab node; use WEBRTC or RTMP")
    sdp = field_str(body, "sdp")
    if not sdp.strip():
        raise ApiError(400, "Field sdp: expected an SDP offer")
    present = body.get("present")
    if present not in _PRESENT:
        raise ApiError(400, "Field present: expected main, send or receive")
    media_type = field_str(body, "media_type", default="video")
    if media_type not in _MEDIA_TYPES:
        raise ApiError(400, f"Field media_type: expected one of {', '.join(_MEDIA_TYPES)}")
    return CallRequest(
        participant_uuid=ctx.member.uuid,
        call_uuid=call_uuid,
        display_name=ctx.member.participant.display_name,
        sdp=sdp,
        present=present if isinstance(present, str) else None,
        media_type=media_type,
        bandwidth_in=BANDWIDTH_KBPS,
        bandwidth_out=BANDWIDTH_KBPS,
    )


async def calls(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_self()
    body = await read_object(request, required=True)
    await ctx.state.hold_new_calls()
    if ctx.member.gone:
        raise ApiError(403, "Participant left while the call was being set up")
    call_uuid = str(uuidlib.uuid4())
    if is_rtmp(body):
        return await rtmp_call(ctx, _hub(ctx), request, call_uuid, body)
    if ctx.conference.direct.applies_to(ctx.member):
        return await _direct_call(ctx, call_uuid, body)
    hub = _hub(ctx)
    call = _call_request(ctx, call_uuid, body)
    answer = await media_opened(ctx, hub, call_uuid, hub.answer(call), "answer the offer")
    if "fecc_supported" in body:
        ctx.conference.update(ctx.member, fecc_supported=field_bool(body, "fecc_supported"))
    ctx.conference.call_added(ctx.member, call_uuid, call.media_type)
    return ok({"call_uuid": call_uuid, "sdp": answer})


async def _direct_call(ctx: Context, call_uuid: str, body: dict[str, object]) -> web.Response:
    """Direct media: the offer goes to the other participant, never to the mixer."""
    call = _call_request(ctx, call_uuid, body)
    result = await ctx.conference.direct.create(ctx.member, call_uuid, call.sdp, call.media_type)
    if ctx.member.gone:
        ctx.conference.direct.close(call_uuid)
        raise ApiError(403, "Participant left while the call was being set up")
    if "fecc_supported" in body:
        ctx.conference.update(ctx.member, fecc_supported=field_bool(body, "fecc_supported"))
    ctx.conference.call_added(ctx.member, call_uuid, call.media_type)
    return ok(result)


def _own_call(ctx: Context, request: web.Request) -> str:
    ctx.require_self()
    call_uuid = request.match_info["call"]
    if call_uuid not in ctx.member.calls:
        raise ApiError(404, f"Call not found: {call_uuid}")
    return call_uuid


async def ack(request: web.Request) -> web.Response:
    ctx = Context(request)
    call_uuid = _own_call(ctx, request)
    body = await read_object(request)
    if ctx.conference.direct.owns(call_uuid):
        ctx.conference.direct.ack(call_uuid, body)
    return ok(True)


async def update(request: web.Request) -> web.Response:
    ctx = Context(request)
    call_uuid = _own_call(ctx, request)
    body = await read_object(request, required=True)
    if ctx.conference.direct.owns(call_uuid) and "sdp" in body:
        offer = _call_request(ctx, call_uuid, body).sdp
        return ok(await ctx.conference.direct.update(call_uuid, offer))
    hub = _hub(ctx)
    if "sdp" not in body:
        # Old PexRTC changes only its FECC capability this way.
        ctx.conference.update(ctx.member, fecc_supported=field_bool(body, "fecc_supported"))
        return ok({"call_uuid": call_uuid, "sdp": ""})
    try:
        answer = await hub.update(_call_request(ctx, call_uuid, body))
    except MediaError as exc:
        raise ApiError(500, f"Media failed to renegotiate: {exc}") from None
    return ok({"call_uuid": call_uuid, "sdp": answer})


async def new_candidate(request: web.Request) -> web.Response:
    ctx = Context(request)
    call_uuid = _own_call(ctx, request)
    body = await read_object(request, required=True)
    candidate = {
        "candidate": field_str(body, "candidate", default=""),
        "mid": field_str(body, "mid", default="0"),
        "ufrag": field_str(body, "ufrag", default=""),
        "pwd": field_str(body, "pwd", default=""),
    }
    if ctx.conference.direct.owns(call_uuid):
        ctx.conference.direct.candidate(call_uuid, candidate)
        return ok(None)
    try:
        await _hub(ctx).add_remote_candidate(call_uuid, candidate)
    except MediaError as exc:
        raise ApiError(400, f"Candidate refused: {exc}") from None
    return ok(None)


async def call_disconnect(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_self()
    if request.match_info["call"] in ctx.member.ended_calls:
        # The call already ended (pexrtc.js / @pexip/infinity close the peer
        # connection first): the client's intent is met (docs/conformance.md, finding 2).
        return ok(None)
    call_uuid = _own_call(ctx, request)
    ctx.conference.direct.close(call_uuid)
    if ctx.conference.hub is not None:
        await ctx.conference.hub.close_call(call_uuid)
    ctx.conference.call_removed(ctx.member, call_uuid)
    return ok(None)


async def call_dtmf(request: web.Request) -> web.Response:
    ctx = Context(request)
    _own_call(ctx, request)
    digits = field_str(await read_object(request, required=True), "digits")
    ctx.member.dtmf_sent.append(digits)
    return ok(True)


async def call_fecc(request: web.Request) -> web.Response:
    ctx = Context(request)
    _own_call(ctx, request)
    fecc_signal(await read_object(request, required=True))
    # FECC into a call reaches the far end of a gateway call; the lab node
    # has no gateway calls, so the signal controls nothing.
    return ok(False)


async def statistics(request: web.Request) -> web.Response:
    ctx = Context(request)
    _own_call(ctx, request)
    await read_object(request)
    return ok(None)


async def presentation_still(request: web.Request) -> web.Response:
    conference, _member, _token = request.app[STATE].authenticate(request)
    high = request.path.endswith("presentation_high.jpeg")
    still = conference.presentation.still(high=high)
    if still is None:
        raise ApiError(404, "No presentation image available")
    return web.Response(body=still, content_type="image/jpeg", headers={"Cache-Control": "no-store"})


async def presentation_frame(request: web.Request) -> web.Response:
    """JPEG presenting (PexRTC ``present("screen_http")``): one slide per POST, field ``frame``."""
    conference, member, _token = request.app[STATE].authenticate(request)
    if conference.presentation.presenter != member.uuid:
        raise ApiError(403, "Take the floor (take_floor) before sending presentation frames")
    if not request.content_type.startswith("multipart/"):
        raise ApiError(400, "Expected a multipart form with a JPEG in the field 'frame'")
    form = await request.post()
    frame = form.get("frame")
    data = frame.file.read() if isinstance(frame, web.FileField) else None
    if not data or data[:2] != JPEG_MAGIC:
        raise ApiError(400, "Field frame: expected a JPEG image")
    conference.presentation.new_still(data, data)
    return ok(True)


def add_routes(app: web.Application) -> None:
    app.router.add_post(CONFERENCE + "/presentation", presentation_frame)
    app.router.add_post(PARTICIPANT + "/calls", calls)
    for name, handler in {
        "ack": ack,
        "update": update,
        "new_candidate": new_candidate,
        "disconnect": call_disconnect,
        "dtmf": call_dtmf,
        "fecc": call_fecc,
        "statistics": statistics,
    }.items():
        app.router.add_post(f"{CALL}/{name}", handler)
    app.router.add_get(CONFERENCE + "/presentation.jpeg", presentation_still)
    app.router.add_get(CONFERENCE + "/presentation_high.jpeg", presentation_still)
