"""Property-based fuzzing of every lab node route (docs/labnode.md, "Limits").

Any token, method, body and headers, on every route the node serves: each
answer must be below 500 and, on API paths, in the JSON envelope; and a
participant the requests do not address must keep receiving its events.

The node runs on its own event loop in a thread for the whole module, so
hypothesis can drive it from a plain (synchronous) test and shrink a
failing request. Bounded: ``MAX_EXAMPLES`` requests, a few seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from appliance.labnode.app import LabNode
from appliance.labnode.state.events import SentEvent
from appliance.labnode.state.node import NodeSettings, NodeState
from appliance.labnode.state.rooms import RoomConfig
from tests.support.labnode import PREFIX, Api, EventReader, Joined
from tests.support.labnode_routes import Route, all_routes

T = TypeVar("T")

MAX_EXAMPLES = 100
ROOM = RoomConfig(alias="fuzz", name="Fuzz", host_pin="1234", allow_guests=True)
OTHER_ROOM = RoomConfig(alias="other", name="Other")
TIMEOUT = aiohttp.ClientTimeout(total=5)
# The observer hears a probe within this (a loopback round trip); a silenced stream fails fast.
PROBE_WAIT = 2.0
# The route table does not depend on the running state: read it once, for the strategy.
ROUTES = all_routes(NodeState([ROOM, OTHER_ROOM], NodeSettings()))

FIELDS = [
    "display_name", "payload", "type", "text", "role", "transforms", "setting", "sdp", "candidate",
    "mid", "digits", "destination", "conference_alias", "state", "jpegs", "aspect_ratio", "level",
    "call_type", "present", "media_type", "action", "movement", "timeout", "protocol", "token",
    "chosen_idp", "sso_token", "direct_media", "call_tag", "offer_ignored", "streaming",
]  # fmt: skip
HEADERS = [
    "pin",
    "token",
    "content-type",
    "user-agent",
    "origin",
    "last-event-id",
    "access-control-request-method",
]
NASTY = ["\ud800", "a\udfffb", "\x00", "\u202e", "%", "../", "😀", "{}", "null", "x" * 300]


class NodeThread:
    """A running :class:`LabNode` with its own loop on a thread; :meth:`run` waits for a coroutine there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fuzz-node", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


@dataclass
class Fuzzed:
    """The node, an observer nobody addresses, and the tokens the fuzzer may use."""

    thread: NodeThread
    node: LabNode
    api: Api
    observer: Joined
    reader: EventReader
    host: Joined | None = None
    guest: Joined | None = None

    async def fresh(self) -> tuple[Joined, Joined]:
        """The fuzzer's Host and Guest, joined again if an earlier request ended them."""
        tokens = self.node.state.tokens
        if self.host is None or tokens.lookup(self.host.token) is None:
            self.host = await self.api.join(ROOM.alias, "Fuzz host", pin=ROOM.host_pin)
        if self.guest is None or tokens.lookup(self.guest.token) is None:
            self.guest = await self.api.join(ROOM.alias, "Fuzz guest", pin="none")
        return self.host, self.guest


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Fuzzed]:
    thread = NodeThread()
    node = LabNode(rooms=[ROOM, OTHER_ROOM], media=False, dial_answer_delay=0.05, dial_timeout=0.3)

    async def start() -> Fuzzed:
        await node.start()
        session = aiohttp.ClientSession(timeout=TIMEOUT)
        api = Api(session, node.url)
        observer = await api.join(ROOM.alias, "Observer", pin=ROOM.host_pin)
        reader = await observer.events()
        await reader.wait_for("stage")
        return Fuzzed(thread, node, api, observer, reader)

    state = thread.run(start())
    yield state

    async def stop() -> None:
        await state.reader.close()
        await state.api.session.close()
        await node.close()

    thread.run(stop())
    thread.stop()


def _text() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=20), st.sampled_from(NASTY))


def _json() -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), _text())
    keys = st.one_of(st.sampled_from(FIELDS), _text())
    return st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
        max_leaves=8,
    )


@dataclass(frozen=True)
class Request:
    """One fuzzed request; ``participant`` "host"/"guest" and ``token`` "host"/"guest" name the fuzzer's own."""

    route: Route
    method: str
    values: dict[str, str]
    body: Any
    headers: dict[str, str]
    token: str


@st.composite
def requests(draw: st.DrawFn, routes: list[Route]) -> Request:
    route = draw(st.sampled_from(routes))
    method = draw(
        st.one_of(st.just(route.method), st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS"]))
    )
    values = {
        "alias": draw(st.one_of(st.sampled_from([ROOM.alias, OTHER_ROOM.alias, "nowhere"]), _text())),
        "participant": draw(st.one_of(st.sampled_from(["host", "guest", "nobody"]), _text())),
    }
    values |= {name: draw(_text()) for name in route.params if name not in values}
    body = draw(
        st.one_of(
            st.none(),
            st.dictionaries(st.sampled_from(FIELDS), _json(), max_size=6),
            _json(),
            st.binary(max_size=64),
        )
    )
    header_value = st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=24
    )
    headers = draw(st.dictionaries(st.sampled_from(HEADERS), header_value, max_size=3))
    token = draw(st.sampled_from(["host", "guest", "none", "stale"]))
    return Request(route, method, values, body, headers, token)


def _path_value(fuzzed: Fuzzed, name: str, value: str, host: Joined, guest: Joined) -> str:
    if name == "participant":
        value = {"host": host.uuid, "guest": guest.uuid}.get(value, value)
    return quote(value, safe="", errors="surrogatepass")


async def _send(fuzzed: Fuzzed, request: Request) -> tuple[int, str, bytes]:
    host, guest = await fuzzed.fresh()
    values = {k: _path_value(fuzzed, k, v, host, guest) for k, v in request.values.items()}
    headers = dict(request.headers)
    token = {"host": host.token, "guest": guest.token, "stale": "0" * 40}.get(request.token)
    if token is not None and "token" not in headers:
        headers["token"] = token
    body = request.body
    data = body if isinstance(body, bytes) else (None if body is None else json.dumps(body).encode())
    url = fuzzed.api.base + request.route.path(**values)
    async with fuzzed.api.session.request(request.method, url, data=data, headers=headers) as response:
        if response.content_type == "text/event-stream":
            return response.status, response.content_type, b""
        return response.status, response.content_type, await response.read()


def _is_envelope(raw: bytes) -> bool:
    try:
        body = json.loads(raw)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("status") in ("success", "failed") and "result" in body


async def _observer_hears(fuzzed: Fuzzed, n: int) -> None:
    fuzzed.node.conference(ROOM.alias).broadcast(SentEvent("fuzz_probe", {"n": n}))
    await fuzzed.reader.wait_for("fuzz_probe", within=PROBE_WAIT, n=n)


_probes = itertools.count()


def _ends_everyones_meeting(request: Request) -> bool:
    """A Host's disconnect-all in the observer's room: it rightly ends the observer's stream too."""
    return (
        request.route.template.endswith("/{alias}/disconnect")
        and request.values["alias"] == ROOM.alias
        and request.method == "POST"
        and request.token == "host"
        and "token" not in request.headers
    )


def _known(path: str, body: Any, token: str = "guest", participant: str = "guest") -> Request:
    """A request that once broke the node (issue 15), always tried before the generated ones."""
    route = Route("POST", f"{PREFIX}/{{alias}}/{path}")
    return Request(route, "POST", {"alias": ROOM.alias, "participant": participant}, body, {}, token)


@given(request=requests(ROUTES))
@example(request=_known("message", {"type": "text/plain", "payload": "\ud800"}))
@example(request=_known("request_token", {"display_name": "Eve \ud800"}, token="none"))
@example(request=_known("participants/{participant}/overlaytext", {"text": "\udfff"}, token="host"))
@example(request=_known("message", b"[" * 10_000 + b"]" * 10_000))
@example(request=_known("request_token", {"display_name": "x" * 3_000_000}, token="none"))
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_labnode_answers_any_request_below_500_in_the_envelope_and_others_keep_their_stream(
    fuzzed: Fuzzed, request: Request
) -> None:
    if _ends_everyones_meeting(request):
        request = dataclasses.replace(request, token="guest")
    status, content_type, raw = fuzzed.thread.run(_send(fuzzed, request))
    assert status < 500, raw[:300]
    if request.route.is_api and (status >= 300 or content_type == "application/json"):
        assert _is_envelope(raw), (status, content_type, raw[:300])
    fuzzed.thread.run(_observer_hears(fuzzed, next(_probes)))
