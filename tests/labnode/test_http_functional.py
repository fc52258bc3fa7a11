"""HTTP surface: status, JSON envelopes for everything, CORS, HTTPS."""

from __future__ import annotations

import aiohttp
import pytest

from appliance.labnode.app import LabNode
from appliance.labnode.http.routes_conference import BREAKOUTS_NOT_IMPLEMENTED
from appliance.labnode.http.tls import self_signed
from tests.support.labnode import Api


async def test_status_endpoint_answers_success(api: Api) -> None:
    status, body = await api.call("GET", f"{api.base}/api/client/v2/status")
    assert status == 200
    assert body["status"] == "success"


async def test_unknown_endpoint_is_404_json_envelope(api: Api) -> None:
    status, body = await api.call("GET", f"{api.base}/api/client/v2/conferences/meet/nonsense")
    assert status == 404
    assert body["status"] == "failed"


async def test_unknown_top_level_path_is_404_json_envelope(api: Api) -> None:
    status, body = await api.call("GET", f"{api.base}/index.html")
    assert (status, body["status"]) == (404, "failed")


async def test_wrong_method_is_405_json_envelope(api: Api) -> None:
    status, body = await api.call("GET", f"{api.base}/api/client/v2/conferences/meet/request_token")
    assert (status, body["status"]) == (405, "failed")


async def test_operation_on_unknown_alias_is_404_envelope(api: Api) -> None:
    joined = await api.join("meet")
    joined.alias = "ghost"
    status, body = await joined.post("lock")
    assert (status, body["status"]) == (404, "failed")


async def test_malformed_body_on_participant_operation_is_400(api: Api) -> None:
    joined = await api.join("meet")
    status, body = await api.call(
        "POST", joined.url(f"participants/{joined.uuid}/overlaytext"), raw=b"[1, 2", token=joined.token
    )
    assert (status, body["status"]) == (400, "failed")


async def test_every_200_has_status_success(api: Api) -> None:
    joined = await api.join("meet")
    for path in ("conference_status", "participants", "available_layouts", "get_classification_level"):
        status, body = await joined.get(path)
        assert (status, body["status"]) == (200, "success"), path


async def test_cors_preflight_allows_token_and_pin_headers() -> None:
    async with (
        LabNode(port=0, media=False, cors_origins=["https://app.example"]) as node,
        aiohttp.ClientSession() as session,
        session.options(
            f"{node.url}/api/client/v2/conferences/meet/request_token",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "pin, content-type",
            },
        ) as response,
    ):
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
        allowed = response.headers["Access-Control-Allow-Headers"]
        assert {"token", "pin", "content-type"} <= {h.strip() for h in allowed.split(",")}


async def test_cors_headers_on_actual_response() -> None:
    async with (
        LabNode(port=0, media=False, cors_origins=["https://app.example"]) as node,
        aiohttp.ClientSession() as session,
        session.get(
            f"{node.url}/api/client/v2/status", headers={"Origin": "https://app.example"}
        ) as response,
    ):
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"


async def test_cors_preflight_from_other_origin_is_refused() -> None:
    async with (
        LabNode(port=0, media=False, cors_origins=["https://app.example"]) as node,
        aiohttp.ClientSession() as session,
        session.options(
            f"{node.url}/api/client/v2/status",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        ) as response,
    ):
        assert response.status == 403
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_https_with_self_signed_certificate() -> None:
    certificate = self_signed(["127.0.0.1"])
    async with LabNode(port=0, media=False, ssl_context=certificate.server_context()) as node:
        assert node.url.startswith("https://127.0.0.1:")
        connector = aiohttp.TCPConnector(ssl=certificate.client_context())
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get(f"{node.url}/api/client/v2/status") as response,
        ):
            assert response.status == 200
            assert (await response.json())["status"] == "success"


async def test_labnode_conference_lookup_by_alias_is_case_insensitive(node: LabNode) -> None:
    assert node.conference("MEET") is node.conference("meet")


async def test_cors_headers_on_event_stream() -> None:
    async with (
        LabNode(port=0, media=False, cors_origins=["*"]) as node,
        aiohttp.ClientSession() as session,
    ):
        client = Api(session, node.url)
        joined = await client.join("meet")
        async with session.get(
            joined.url(f"events?token={joined.token}"), headers={"Origin": "https://app.example"}
        ) as response:
            assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
            assert response.content_type == "text/event-stream"


@pytest.mark.parametrize(
    "path",
    [
        "breakouts",
        "breakouts/disconnect",
        "breakouts/b1/participants/p1/mute",
        "breakoutbuzz",
        "leavebreakout",
        "participants/breakout",
    ],
)
async def test_breakout_endpoints_answer_not_implemented_in_envelope(api: Api, path: str) -> None:
    host = await api.join("meet", "Host")
    status, body = await host.post(path, {})
    assert (status, body) == (404, {"status": "failed", "result": BREAKOUTS_NOT_IMPLEMENTED})


async def test_breakout_endpoint_with_bad_token_is_invalid_token(api: Api) -> None:
    status, body = await api.call(
        "POST", f"{api.base}/api/client/v2/conferences/meet/breakouts", {}, token="x"
    )
    assert (status, body) == (403, {"status": "failed", "result": "Invalid token"})
