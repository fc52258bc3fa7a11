"""The ``theme/`` endpoints: splash-screen definitions for direct-media rooms.

In a direct-media VMR the client draws the splash screens itself, from the
map ``GET theme/`` returns (screen key -> background and text); rooms
without direct media have no theme and answer 204, which PexRTC accepts.
The background is a plain dark JPEG made once with PyAV (no image library
is needed for one flat picture).
"""

from __future__ import annotations

import fractions
import functools
from typing import Any, Final

import av
import numpy as np
from aiohttp import web

from appliance.infinity.models import SPLASH_SCREEN_KEYS
from appliance.labnode.http.envelope import ok
from appliance.labnode.http.routes_token import CONFERENCE
from appliance.labnode.state.node import STATE
from appliance.labnode.state.refusals import ApiError

BACKGROUND: Final = "background.jpg"
_TEXTS: Final = {
    "direct_media_welcome": "Welcome. You are the only participant.",
    "direct_media_waiting_for_host": "Waiting for the host to join.",
    "direct_media_other_participants_audio_only": "The other participants are audio only.",
    "direct_media_escalate": "More participants are joining; switching to the conference.",
    "direct_media_deescalate": "Switching back to a direct call.",
}
_WHITE: Final = 0xFFFFFF


def theme_map() -> dict[str, Any]:
    return {
        key: {
            "layout_type": "direct_media",
            "background": {"path": BACKGROUND},
            "elements": [{"type": "text", "color": _WHITE, "text": _TEXTS[key]}],
        }
        for key in SPLASH_SCREEN_KEYS
    }


@functools.cache
def background_jpeg(width: int = 640, height: int = 360) -> bytes:
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuvj420p"
    codec.time_base = fractions.Fraction(1, 1)
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:] = (24, 40, 64)
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuvj420p")
    packets = list(codec.encode(frame)) + list(codec.encode(None))
    return b"".join(bytes(packet) for packet in packets)


async def theme(request: web.Request) -> web.Response:
    conference, _member, _token = request.app[STATE].authenticate(request)
    if not conference.room.direct_media:
        return web.Response(status=204)
    return ok(theme_map())


async def theme_file(request: web.Request) -> web.Response:
    conference, _member, _token = request.app[STATE].authenticate(request)
    if not conference.room.direct_media or request.match_info["path"] != BACKGROUND:
        raise ApiError(404, "No such theme file")
    return web.Response(body=background_jpeg(), content_type="image/jpeg")


def add_routes(app: web.Application) -> None:
    app.router.add_get(CONFERENCE + "/theme/", theme)
    app.router.add_post(CONFERENCE + "/theme/", theme)
    app.router.add_get(CONFERENCE + "/theme/{path}", theme_file)
