"""Hostile input at the lab node's door: refused in the envelope, and nobody else's stream silenced.

Each test here failed on the node before docs/labnode.md's "Limits" were
applied: a lone surrogate accepted and then breaking every other
participant's event stream, deep nesting and a non-UTF-8 PIN giving 500,
multi-megabyte names accepted.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from yarl import URL

from appliance.labnode.app import LabNode
from appliance.labnode.state.events import SentEvent
from appliance.labnode.state.refusals import FIELD_LIMITS, MAX_DEPTH
from tests.support.labnode import PREFIX, Api
from tests.support.labnode_routes import all_routes

SURROGATE = "\ud800"


def _is_envelope(body: Any) -> bool:
    return isinstance(body, dict) and body.get("status") in ("success", "failed") and "result" in body


async def _raw_request(node: LabNode, head: bytes, body: bytes = b"") -> tuple[int, Any]:
    """Send bytes aiohttp's client would not (non-UTF-8 headers); the status and JSON body."""
    reader, writer = await asyncio.open_connection(node.host, node.port)
    try:
        writer.write(head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        await writer.drain()
        async with asyncio.timeout(5):
            answer = await reader.read()
    finally:
        writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    _headers, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(payload)


async def test_chat_payload_with_lone_surrogate_is_400_in_envelope(api: Api) -> None:
    guest = await api.join("meet", "Guest")
    status, body = await guest.post("message", {"type": "text/plain", "payload": f"hi {SURROGATE}"})
    assert status == 400
    assert _is_envelope(body)


async def test_display_name_with_lone_surrogate_is_400_in_envelope(api: Api) -> None:
    status, body = await api.request_token("meet", f"Eve {SURROGATE}")
    assert status == 400
    assert _is_envelope(body)


async def test_overlay_text_with_lone_surrogate_is_400_in_envelope(api: Api) -> None:
    host = await api.join("meet", "Host")
    status, body = await host.post(f"participants/{host.uuid}/overlaytext", {"text": SURROGATE})
    assert status == 400
    assert _is_envelope(body)


async def test_lone_surrogate_chat_leaves_other_streams_delivering(api: Api) -> None:
    host = await api.join("meet", "Host")
    reader = await host.events()
    await reader.wait_for("stage")
    guest = await api.join("meet", "Guest")
    await guest.post("message", {"type": "text/plain", "payload": SURROGATE})
    await guest.post("message", {"type": "text/plain", "payload": "after"})
    message = await reader.wait_for("message_received", payload="after")
    assert message.data["origin"] == "Guest"


async def test_event_stream_whose_write_fails_is_closed(api: Api, node: LabNode) -> None:
    host = await api.join("meet", "Host")
    reader = await host.events()
    await reader.wait_for("stage")
    # An event that cannot be encoded at all: the stream must end, not fall silent.
    node.conference("meet").members[host.uuid].send(SentEvent("unwritable", object()))
    assert await reader.ended()


def test_event_with_lone_surrogate_encodes_as_a_json_escape() -> None:
    data = SentEvent("message_received", {"payload": SURROGATE}).encode_data()
    data.encode("utf-8")
    assert json.loads(data) == {"payload": SURROGATE}


async def test_deeply_nested_body_is_400_on_every_post_route(api: Api, node: LabNode) -> None:
    nested = b"[" * 10_000 + b"]" * 10_000
    answers = {}
    for route in all_routes(node.state):
        if route.method != "POST" or not route.is_api:
            continue
        host = await api.join("meet", "Host")  # a fresh token: the previous route may have ended it
        path = route.path(alias="meet", participant=host.uuid, call="c1", tail="x", path="x")
        status, body = await api.call("POST", api.base + path, token=host.token, raw=nested)
        # a success may have no body (theme/ answers 204); anything else is the envelope
        answers[route.template] = (status, _is_envelope(body) or (status < 300 and body is None))
    assert {t: a for t, a in answers.items() if a[0] >= 500 or not a[1]} == {}
    assert answers[f"{PREFIX}/{{alias}}/message"] == (400, True)


async def test_body_nested_past_the_limit_is_400(api: Api) -> None:
    host = await api.join("meet", "Host")
    nested: Any = "x"
    for _ in range(MAX_DEPTH):
        nested = [nested]
    status, body = await host.post("transform_layout", {"transforms": nested})
    assert (status, body["result"]) == (400, f"Malformed request body: nested deeper than {MAX_DEPTH} levels")


async def test_non_utf8_pin_header_is_400_in_envelope(node: LabNode) -> None:
    head = (
        f"POST {PREFIX}/pinned/request_token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\n"
    ).encode() + b"pin: \xff\xfe12\r\n"
    status, body = await _raw_request(node, head, b'{"display_name": "Guest"}')
    assert status == 400
    assert _is_envelope(body)
    assert "pin" in body["result"]


async def test_non_utf8_user_agent_is_400_in_envelope(node: LabNode) -> None:
    head = (
        f"POST {PREFIX}/meet/request_token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    ).encode() + b"User-Agent: caf\xe9\r\n"
    status, body = await _raw_request(node, head, b'{"display_name": "Guest"}')
    assert (status, _is_envelope(body)) == (400, True)


@pytest.mark.parametrize("field", ["display_name", "call_tag", "client_id", "conference_extension"])
async def test_request_token_field_over_its_limit_is_400(api: Api, field: str) -> None:
    body = {"display_name": "Guest", field: "x" * (FIELD_LIMITS[field] + 1)}
    status, answer = await api.call("POST", f"{api.base}{PREFIX}/meet/request_token", body)
    assert (status, answer["result"]) == (
        400,
        f"Field {field}: at most {FIELD_LIMITS[field]} characters, found {FIELD_LIMITS[field] + 1}",
    )


async def test_request_token_field_at_its_limit_is_accepted(api: Api) -> None:
    status, _answer = await api.request_token("meet", "x" * FIELD_LIMITS["display_name"])
    assert status == 200


async def test_chat_payload_over_its_limit_is_400(api: Api) -> None:
    host = await api.join("meet", "Host")
    status, _body = await host.post("message", {"type": "text/plain", "payload": "x" * 10_001})
    assert status == 400


async def test_overlay_text_over_its_limit_is_400(api: Api) -> None:
    host = await api.join("meet", "Host")
    status, _body = await host.post(f"participants/{host.uuid}/overlaytext", {"text": "x" * 251})
    assert status == 400


async def test_three_megabyte_string_in_any_field_is_400(api: Api) -> None:
    # a field the node does not read: bounded all the same (MAX_TEXT)
    status, body = await api.request_token("meet", "Guest", note="x" * 3_000_000)
    assert (status, _is_envelope(body)) == (400, True)


async def test_sso_page_name_over_the_display_name_limit_is_400(api: Api) -> None:
    # the IdP page's name becomes the participant's display_name: same limit
    _status, offered = await api.request_token("sso")
    _status, redirect = await api.request_token("sso", chosen_idp=offered["result"]["idp"][0]["uuid"])
    url = URL(redirect["result"]["redirect_url"]).update_query(name="x" * (FIELD_LIMITS["display_name"] + 1))
    async with api.session.get(url, headers={"Accept": "application/json"}) as page:
        assert page.status == 400
        assert _is_envelope(await page.json())
