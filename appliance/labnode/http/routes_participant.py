"""Participant-level endpoints, ``participants/{uuid}/…`` (reference §3.2).

Permission rules: a Host may act on anyone; a Guest only on itself, and
only for the self-service operations (own mute and unmute — see
:mod:`appliance.labnode.state.muting` —, video mute, hand, aspect ratio,
floor, leaving). Where the reference leaves the rule open (DTMF,
FECC) this node lets anyone address anyone, as Infinity's own web app does.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any, Final

from aiohttp import web

from appliance.infinity.models import FECC_ACTIONS, FECC_DIRECTIONS, Role
from appliance.labnode.http.envelope import Handler, ok, read_object
from appliance.labnode.http.routes_conference import message_fields
from appliance.labnode.http.routes_token import CONFERENCE
from appliance.labnode.state import muting
from appliance.labnode.state.conference import DISCONNECTED_BY_HOST, NodeConference
from appliance.labnode.state.events import SentEvent
from appliance.labnode.state.node import STATE, NodeState
from appliance.labnode.state.refusals import HOST_REQUIRED, ApiError, field_bool, field_str
from appliance.labnode.state.roster import Member
from appliance.labnode.state.tokens import Grant

PARTICIPANT: Final = CONFERENCE + "/participants/{participant}"
_DTMF: Final = re.compile(r"^[0-9*#A-Da-d]{1,64}$")


class Context:
    """One participant-level request: who asks, about whom, in which conference."""

    def __init__(self, request: web.Request) -> None:
        self.state: NodeState = request.app[STATE]
        self.conference: NodeConference
        self.member: Member
        self.conference, self.member, _token = self.state.authenticate(request)
        self.target: Member = self.conference.get(request.match_info["participant"])

    @property
    def is_self(self) -> bool:
        return self.target is self.member

    def require_host(self) -> None:
        self.state.require_host(self.member)

    def require_self(self) -> None:
        if not self.is_self:
            raise ApiError(403, "Operation only permitted on your own participant")

    def require_self_or_host(self) -> None:
        if not (self.is_self or self.member.is_host):
            raise ApiError(403, HOST_REQUIRED)


class May(Enum):
    """Who may set a participant flag on whom."""

    HOST = "host"  # a Host, on anyone
    SELF = "self"  # the participant itself only
    SELF_OR_HOST = "self_or_host"


# Setting one participant field, the only rule being who may (mute and
# unmute have a rule of their own: state/muting.py).
FLAGS: Final[dict[str, tuple[May, str, Any]]] = {
    # operation: (who may, participant field, value it is set to)
    "client_mute": (May.SELF, "is_client_muted", True),
    "client_unmute": (May.SELF, "is_client_muted", False),
    "video_muted": (May.SELF_OR_HOST, "is_video_muted", True),
    "video_unmuted": (May.SELF_OR_HOST, "is_video_muted", False),
    "allowrxpresentation": (May.HOST, "rx_presentation_policy", True),
    "denyrxpresentation": (May.HOST, "rx_presentation_policy", False),
    "spotlightoff": (May.HOST, "spotlight", 0.0),
    "clearbuzz": (May.SELF_OR_HOST, "buzz_time", 0.0),
}


def flag_handler(may: May, name: str, value: Any) -> Handler:
    """The handler of one :data:`FLAGS` row: check who asks, then set the field."""

    async def handler(request: web.Request) -> web.Response:
        ctx = Context(request)
        if may is May.HOST:
            ctx.require_host()
        elif may is May.SELF:
            ctx.require_self()
        else:
            ctx.require_self_or_host()
        ctx.conference.update(ctx.target, **{name: value})
        return ok(True)

    return handler


async def mute(request: web.Request) -> web.Response:
    ctx = Context(request)
    muting.mute(ctx.conference, ctx.member, ctx.target)
    return ok(True)


async def unmute(request: web.Request) -> web.Response:
    ctx = Context(request)
    muting.unmute(ctx.conference, ctx.member, ctx.target)
    return ok(True)


async def spotlight_on(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_host()
    if not ctx.target.participant.spotlight:
        ctx.conference.update(ctx.target, spotlight=ctx.conference.now())
    return ok(True)


async def overlay_text(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_host()
    body = await read_object(request, required=True)
    ctx.conference.update(ctx.target, overlay_text=field_str(body, "text"))
    return ok(True)


async def pres_in_mix(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_self_or_host()
    body = await read_object(request, required=True)
    ctx.conference.update(ctx.target, needs_presentation_in_mix=field_bool(body, "state"))
    return ok(True)


async def role(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_host()
    body = await read_object(request, required=True)
    value = field_str(body, "role")
    if value not in ("chair", "guest"):
        raise ApiError(400, "Invalid role: expected chair or guest")
    ctx.conference.set_role(ctx.target, Role.parse(value))
    return ok(True)


async def unlock(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_host()
    ctx.conference.admit_waiting(ctx.target)
    return ok(True)


async def disconnect(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_self_or_host()
    ctx.state.release(ctx.conference, ctx.target, None if ctx.is_self else DISCONNECTED_BY_HOST)
    return ok(True)


async def transfer(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_host()
    body = await read_object(request, required=True)
    alias = field_str(body, "conference_alias").strip()
    destination = ctx.state.find(alias)
    if destination is None:
        raise ApiError(404, f"Transfer target not found: {alias}")
    if destination.room.reception:
        raise ApiError(400, "transfer failed: a Virtual Reception is not a conference to transfer into")
    role_text = field_str(body, "role", default="guest")
    try:
        new_role = Role.parse(role_text)
    except ValueError:
        raise ApiError(400, "Invalid role: expected host, chair or guest") from None
    grant = Grant(
        alias=destination.room.alias, role=new_role, display_name=ctx.target.participant.display_name
    )
    one_time = ctx.state.tokens.grant(grant)
    ctx.conference.update(ctx.target, is_transferring=True)
    ctx.target.send(SentEvent("refer", {"alias": alias, "token": one_time, "target": "conference"}))
    return ok(True)


def _digits(body: dict[str, Any]) -> str:
    digits = field_str(body, "digits")
    if not _DTMF.match(digits):
        raise ApiError(400, "Field digits: expected 1 to 64 of 0-9 * # A-D")
    return digits


async def dtmf(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_self_or_host()
    ctx.target.dtmf_received.append(_digits(await read_object(request, required=True)))
    return ok(True)


def fecc_signal(body: dict[str, Any]) -> dict[str, Any]:
    action = field_str(body, "action")
    if action not in FECC_ACTIONS:
        raise ApiError(400, f"Field action: expected one of {', '.join(FECC_ACTIONS)}")
    movement = body.get("movement", [])
    if not isinstance(movement, list):
        raise ApiError(400, "Field movement: expected a list of {axis, direction}")
    moves = []
    for move in movement:
        axis = move.get("axis") if isinstance(move, dict) else None
        allowed = FECC_DIRECTIONS.get(axis) if isinstance(axis, str) else None
        if not isinstance(move, dict) or allowed is None or move.get("direction") not in allowed:
            raise ApiError(400, "Field movement: expected axis pan|tilt|zoom with a matching direction")
        moves.append({"axis": move["axis"], "direction": move["direction"]})
    timeout = body.get("timeout", 1000)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 0:
        raise ApiError(400, "Field timeout: expected milliseconds as a whole number")
    return {"action": action, "movement": moves, "timeout": timeout}


async def fecc(request: web.Request) -> web.Response:
    ctx = Context(request)
    if not ctx.conference.room.fecc_enabled:
        raise ApiError(403, "FECC is disabled in this conference")
    signal = fecc_signal(await read_object(request, required=True))
    ctx.target.fecc_received.append(signal)
    ctx.target.send(SentEvent("fecc", signal))
    return ok(True)


async def buzz(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_self()
    ctx.conference.update(ctx.target, buzz_time=ctx.conference.now())
    return ok(True)


async def direct_message(request: web.Request) -> web.Response:
    ctx = Context(request)
    mime_type, payload = message_fields(await read_object(request, required=True))
    ctx.conference.message(ctx.member, mime_type, payload, target=ctx.target)
    return ok(True)


async def take_floor(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_self()
    body = await read_object(request)
    jpegs = body.get("jpegs", False)
    if not isinstance(jpegs, bool):
        raise ApiError(400, "Field jpegs: expected true or false")
    if not (ctx.member.is_host or ctx.conference.room.guests_can_present):
        raise ApiError(403, "Guests may not present in this conference")
    if not ctx.member.in_conference:
        raise ApiError(403, "Not in the conference yet")
    ctx.conference.presentation.take(ctx.member, jpegs=jpegs)
    return ok(None)


async def release_floor(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_self()
    ctx.conference.presentation.release(ctx.member)
    return ok(None)


async def preferred_aspect_ratio(request: web.Request) -> web.Response:
    ctx = Context(request)
    ctx.require_self_or_host()
    value = (await read_object(request, required=True)).get("aspect_ratio")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 2:
        raise ApiError(400, "Field aspect_ratio: expected a number from 0 to 2")
    ctx.target.aspect_ratio = float(value)
    return ok(True)


async def live_captions(request: web.Request) -> web.Response:
    Context(request).require_self()
    return ok(None)


async def notify_not_afk(request: web.Request) -> web.Response:
    Context(request).require_self()
    return ok(True)


async def avatar(request: web.Request) -> web.Response:
    Context(request)
    raise ApiError(404, "No image available")


def add_routes(app: web.Application) -> None:
    post = {
        "mute": mute,
        "unmute": unmute,
        "spotlighton": spotlight_on,
        "overlaytext": overlay_text,
        "pres_in_mix": pres_in_mix,
        "role": role,
        "unlock": unlock,
        "disconnect": disconnect,
        "transfer": transfer,
        "dtmf": dtmf,
        "fecc": fecc,
        "buzz": buzz,
        "message": direct_message,
        "take_floor": take_floor,
        "release_floor": release_floor,
        "preferred_aspect_ratio": preferred_aspect_ratio,
        "show_live_captions": live_captions,
        "hide_live_captions": live_captions,
        "notify_not_afk": notify_not_afk,
    }
    for name, (may, field, value) in FLAGS.items():
        app.router.add_post(f"{PARTICIPANT}/{name}", flag_handler(may, field, value))
    for name, handler in post.items():
        app.router.add_post(f"{PARTICIPANT}/{name}", handler)
    app.router.add_get(f"{PARTICIPANT}/avatar.jpg", avatar)
