"""Conference-level endpoints (reference §3.1).

Each handler authenticates, checks the role the reference names (Host for
control, anyone for reading and chat), validates the body into a 400 when
malformed, and leaves the state change and its events to
:class:`~appliance.labnode.state.conference.NodeConference`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from appliance.infinity.models import LAYOUTS, Role
from appliance.labnode.http.envelope import Handler, ok, read_object
from appliance.labnode.http.routes_token import CONFERENCE
from appliance.labnode.state import device_dial
from appliance.labnode.state.conference import NodeConference
from appliance.labnode.state.node import STATE, NodeState
from appliance.labnode.state.refusals import ApiError, field_bool, field_str

_DIAL_PROTOCOLS: Final = ("sip", "h323", "rtmp", "mssip", "auto")


async def conference_status(request: web.Request) -> web.Response:
    conference, _member, _token = request.app[STATE].authenticate(request)
    return ok(conference.status())


async def participants(request: web.Request) -> web.Response:
    conference, _member, _token = request.app[STATE].authenticate(request)
    return ok([m.participant.to_wire() for m in conference.members.values()])


def _host_action(request: web.Request) -> tuple[NodeState, NodeConference]:
    state = request.app[STATE]
    conference, member, _token = state.authenticate(request)
    state.require_host(member)
    return state, conference


# Host operations on the whole conference that read no body: one row each.
HOST_ACTIONS: Final[dict[str, Callable[[NodeConference], None]]] = {
    "lock": lambda conference: conference.set_locked(True),
    "unlock": lambda conference: conference.set_locked(False),
    "muteguests": lambda conference: conference.set_guests_muted(True),
    "unmuteguests": lambda conference: conference.set_guests_muted(False),
    "start_conference": NodeConference.start,
    "clearallbuzz": NodeConference.clear_all_buzz,
}


def host_action_handler(action: Callable[[NodeConference], None]) -> Handler:
    """The handler of one :data:`HOST_ACTIONS` row: a Host's token, then the action."""

    async def handler(request: web.Request) -> web.Response:
        _state, conference = _host_action(request)
        action(conference)
        return ok(True)

    return handler


async def set_guests_can_unmute(request: web.Request) -> web.Response:
    _state, conference = _host_action(request)
    body = await read_object(request, required=True)
    conference.set_guests_can_unmute(field_bool(body, "setting"))
    return ok(True)


async def disconnect_all(request: web.Request) -> web.Response:
    state, conference = _host_action(request)
    state.disconnect_all(conference)
    return ok(True)


def message_fields(body: dict[str, Any]) -> tuple[str, str]:
    mime_type = field_str(body, "type", default="text/plain")
    payload = field_str(body, "payload")
    if not mime_type.strip():
        raise ApiError(400, "Field type: expected a media type such as text/plain")
    return mime_type, payload


async def message(request: web.Request) -> web.Response:
    conference, member, _token = request.app[STATE].authenticate(request)
    mime_type, payload = message_fields(await read_object(request, required=True))
    conference.message(member, mime_type, payload)
    return ok(True)


async def dial(request: web.Request) -> web.Response:
    state, conference = _host_action(request)
    body = await read_object(request, required=True)
    destination = field_str(body, "destination").strip()
    if not destination:
        raise ApiError(400, "Field destination: expected a SIP URI or alias")
    protocol = field_str(body, "protocol", default="auto").lower()
    if protocol not in _DIAL_PROTOCOLS:
        raise ApiError(400, f"Field protocol: expected one of {', '.join(_DIAL_PROTOCOLS)}")
    try:
        role = Role.parse(field_str(body, "role", default="HOST"))
    except ValueError:
        raise ApiError(400, "Field role: expected HOST or GUEST") from None
    call_type = field_str(body, "call_type", default="video")
    name = field_str(body, "remote_display_name", default="") or destination
    dtmf_sequence = field_str(body, "dtmf_sequence", default="")
    member = device_dial.start_dial(
        state,
        conference,
        destination,
        role=role,
        name=name,
        call_type=call_type,
        protocol="sip" if protocol == "auto" else protocol,
        text=field_str(body, "text", default=""),
        dtmf_sequence=dtmf_sequence,
    )
    return ok([member.uuid])


async def transform_layout(request: web.Request) -> web.Response:
    _state, conference = _host_action(request)
    body = await read_object(request)
    transforms = body.get("transforms", {})
    if not isinstance(transforms, dict):
        raise ApiError(400, "Field transforms: expected an object")
    conference.transform_layout(transforms)
    return ok(True)


async def available_layouts(request: web.Request) -> web.Response:
    request.app[STATE].authenticate(request)
    if request.query.get("annotate", "").lower() == "true":
        return ok([{"name": name, "tags": []} for name in LAYOUTS])
    return ok(list(LAYOUTS))


async def layout_svgs(request: web.Request) -> web.Response:
    request.app[STATE].authenticate(request)
    return ok({name: _layout_svg(name) for name in LAYOUTS})


def _layout_svg(name: str) -> str:
    label = name.replace("&", "&amp;").replace("<", "&lt;")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 90">'
        '<rect width="160" height="90" fill="#202830"/>'
        f'<text x="80" y="50" fill="#fff" font-size="16" text-anchor="middle">{label}</text></svg>'
    )


async def set_classification_level(request: web.Request) -> web.Response:
    _state, conference = _host_action(request)
    body = await read_object(request, required=True)
    level = body.get("level")
    if isinstance(level, str) and level.isdigit():
        level = int(level)
    if not isinstance(level, int) or isinstance(level, bool):
        raise ApiError(400, "Field level: expected a number from the levels map")
    conference.set_classification(level)
    return ok(True)


async def get_classification_level(request: web.Request) -> web.Response:
    conference, _member, _token = request.app[STATE].authenticate(request)
    classification = conference.classification()
    if classification is None:
        raise ApiError(404, "No classification levels configured for this conference")
    return ok(classification)


BREAKOUTS_NOT_IMPLEMENTED: Final = (
    "Breakout rooms are not implemented by the lab node (request_token answers breakout_rooms: false)"
)

# Reference §3.1 and §3.4: every breakout endpoint, conference- and participant-level.
_BREAKOUT_PATHS: Final = (
    "/breakouts",
    "/breakouts/{tail:.*}",
    "/breakoutbuzz",
    "/clearbreakoutbuzz",
    "/leavebreakout",
    "/participants/breakout",
)


async def breakouts_not_implemented(request: web.Request) -> web.Response:
    """A named refusal rather than a bare 404, so a client's log says what is missing."""
    request.app[STATE].authenticate(request)
    raise ApiError(404, BREAKOUTS_NOT_IMPLEMENTED)


def add_routes(app: web.Application) -> None:
    for path in _BREAKOUT_PATHS:
        app.router.add_route("*", CONFERENCE + path, breakouts_not_implemented)
    get = {
        "conference_status": conference_status,
        "participants": participants,
        "available_layouts": available_layouts,
        "layout_svgs": layout_svgs,
        "get_classification_level": get_classification_level,
    }
    post = {
        "set_guests_can_unmute": set_guests_can_unmute,
        "disconnect": disconnect_all,
        "message": message,
        "dial": dial,
        "transform_layout": transform_layout,
        "set_classification_level": set_classification_level,
    }
    for name, handler in get.items():
        app.router.add_get(f"{CONFERENCE}/{name}", handler)
    for name, action in HOST_ACTIONS.items():
        app.router.add_post(f"{CONFERENCE}/{name}", host_action_handler(action))
    for name, handler in post.items():
        app.router.add_post(f"{CONFERENCE}/{name}", handler)
