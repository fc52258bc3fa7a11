"""Token endpoints, the event stream and the node status (reference §2, §6).

``request_token`` admits through :mod:`appliance.labnode.state.admission` and
answers with every field Pexip's clients read (``expires`` as a string,
``version`` as an object, ``role`` upper case). ``refresh_token`` hands out
a new token and kills the old; ``release_token`` accepts the token in the
query too, because PexRTC sends it by ``navigator.sendBeacon`` with no
header and a ``text/plain`` body.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from appliance.infinity.models import API_PREFIX
from appliance.labnode.http.envelope import ok, read_object
from appliance.labnode.state import device_dial
from appliance.labnode.state.admission import Admission, JoinRequest, decide
from appliance.labnode.state.node import STATE, VERSION
from appliance.labnode.state.refusals import ApiError
from appliance.labnode.state.roster import Member
from appliance.labnode.state.tokens import Token

CONFERENCE: Final = API_PREFIX + "/conferences/{alias}"
STATS_INTERVAL_MS: Final = 5000
BANDWIDTH_KBPS: Final = 1280


def lifetime_text(seconds: float) -> str:
    """``expires`` is a string of seconds on the wire (IA validates the type)."""
    return f"{seconds:g}"


async def request_token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    alias = request.match_info["alias"]
    state.conference(alias)
    join = JoinRequest.parse(await read_object(request), request.headers.get("pin"))
    base_url = f"{request.scheme}://{request.host}"
    admission = decide(state, alias, join, base_url)
    conference = admission.conference
    # A registered device answering a dial-out: its participant replaces the
    # "connecting" one (appliance/labnode/state/device_dial.py).
    offer = device_dial.take_offer(state, join.one_time_token)
    member = conference.admit(
        join.display_name,
        admission.role,
        call_tag=join.call_tag,
        vendor=join.client_id or request.headers.get("User-Agent", ""),
        idp_authenticated=admission.idp is not None,
        bypass_lock=admission.invited,
        **(device_dial.answered_fields(offer) if offer is not None else {}),
    )
    if offer is not None:
        device_dial.drop_placeholder(state, offer)
    device_dial.auto_dial(state, conference, member)
    member.direct_media = conference.room.direct_media and join.direct_media
    token = state.tokens.issue(member.uuid, state.aliases_of(conference, admission.via))
    return ok(_token_result(admission, member, token, join, state.settings.token_lifetime))


def _token_result(
    admission: Admission, member: Member, token: Token, join: JoinRequest, lifetime: float
) -> dict[str, Any]:
    room = admission.conference.room
    direct = room.direct_media and join.direct_media
    result: dict[str, Any] = {
        "token": token.value,
        "expires": lifetime_text(lifetime),
        "participant_uuid": member.uuid,
        "display_name": member.participant.display_name,
        "role": member.participant.role.value,
        "version": dict(VERSION),
        "service_type": "lecture" if room.auditorium else "conference",
        "current_service_type": member.participant.service_type,
        "conference_name": room.display_name,
        "service_name": room.alias,
        "chat_enabled": room.chat_enabled,
        "fecc_enabled": room.fecc_enabled,
        "guests_can_present": room.guests_can_present,
        "call_type": "video",
        "allow_1080p": False,
        "vp9_enabled": False,
        "trickle_ice_enabled": True,
        "rtmp_enabled": False,
        "rtsp_enabled": False,
        "bandwidth_in": BANDWIDTH_KBPS,
        "bandwidth_out": BANDWIDTH_KBPS,
        # No "stun" key: the node has no STUN server, and @pexip/infinity turns an
        # empty list into iceServers [{urls: []}], which browsers refuse
        # (docs/conformance.md, finding 1). The schema makes the key optional.
        "turn": [],
        "use_relay_candidates_only": False,
        "direct_media": direct,
        "client_stats_update_interval": STATS_INTERVAL_MS,
        "analytics_enabled": False,
        "breakout_rooms": False,
        "live_captions_available": False,
        "call_tag": join.call_tag,
    }
    if direct:
        result["pex_datachannel_id"] = 1
    if admission.idp is not None:
        result["idp_uuid"] = admission.idp.uuid
    return result


async def refresh_token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    _conference, member, token = state.authenticate(request)
    state.check_tokens_accepted()
    fresh = state.tokens.refresh(token)
    return ok(
        {
            "token": fresh.value,
            "expires": lifetime_text(state.settings.token_lifetime),
            "role": member.participant.role.value,
            "client_stats_update_interval": STATS_INTERVAL_MS,
        }
    )


async def release_token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    conference, member, _token = state.authenticate(request)
    try:
        await read_object(request)
    except ApiError:
        pass  # a beacon's body is advisory: the release happens regardless
    state.release(conference, member)
    return ok(True)


async def events(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    conference, member, _token = state.authenticate(request)
    stream = conference.attach_stream(member)
    return await stream.serve(request, {})


async def node_status(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return ok({"version": dict(VERSION), "rooms": [room.alias for room in state.rooms], "maintenance": False})


def add_routes(app: web.Application) -> None:
    app.router.add_get(API_PREFIX + "/status", node_status)
    app.router.add_post(CONFERENCE + "/request_token", request_token)
    app.router.add_post(CONFERENCE + "/refresh_token", refresh_token)
    app.router.add_post(CONFERENCE + "/release_token", release_token)
    app.router.add_get(CONFERENCE + "/events", events)
