"""request_token admission: PINs, Virtual Reception, SSO, one-time tokens."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from appliance.labnode.app import LabNode
from tests.support.labnode import Api


async def test_request_token_no_pin_room_admits_as_host(api: Api) -> None:
    status, body = await api.request_token("meet", "Alice")
    assert status == 200
    assert body["status"] == "success"
    assert body["result"]["role"] == "HOST"
    assert body["result"]["current_service_type"] == "conference"


async def test_request_token_pin_room_without_pin_asks_for_pins(api: Api) -> None:
    status, body = await api.request_token("pinned")
    assert status == 403
    assert body["status"] == "success"
    assert body["result"]["pin"] == "required"
    assert body["result"]["guest_pin"] == "required"
    assert body["result"]["version"]["version_id"] == "36"


async def test_request_token_host_pin_gives_host_role(api: Api) -> None:
    status, body = await api.request_token("pinned", pin="1234")
    assert (status, body["result"]["role"]) == (200, "HOST")


async def test_request_token_guest_pin_gives_guest_role(api: Api) -> None:
    status, body = await api.request_token("pinned", pin="5678")
    assert (status, body["result"]["role"]) == (200, "GUEST")


async def test_request_token_wrong_pin_is_invalid_pin(api: Api) -> None:
    status, body = await api.request_token("pinned", pin="0000")
    assert status == 403
    assert body == {"status": "failed", "result": "Invalid PIN"}


async def test_request_token_empty_pin_in_required_room_is_invalid_pin(api: Api) -> None:
    status, body = await api.request_token("pinned", pin="none")
    assert (status, body["result"]) == (403, "Invalid PIN")


async def test_request_token_optional_guest_pin_room_reports_guest_pin_none(api: Api) -> None:
    status, body = await api.request_token("open-guests")
    assert status == 403
    assert body["status"] == "success"
    assert (body["result"]["pin"], body["result"]["guest_pin"]) == ("required", "none")


async def test_request_token_optional_guest_pin_room_admits_empty_pin_as_guest(api: Api) -> None:
    status, body = await api.request_token("open-guests", pin="none")
    assert (status, body["result"]["role"]) == (200, "GUEST")


async def test_request_token_optional_guest_pin_room_admits_host_pin_as_host(api: Api) -> None:
    status, body = await api.request_token("open-guests", pin="1234")
    assert (status, body["result"]["role"]) == (200, "HOST")


async def test_request_token_unknown_alias_is_404_envelope(api: Api) -> None:
    status, body = await api.request_token("no-such-room")
    assert status == 404
    assert body["status"] == "failed"
    assert isinstance(body["result"], str)


async def test_request_token_reception_without_extension_asks_for_one(api: Api) -> None:
    status, body = await api.request_token("reception")
    assert status == 403
    assert body == {
        "status": "success",
        "result": {"conference_extension": "required", "conference_extension_type": "standard"},
    }


async def test_request_token_reception_with_extension_joins_target_room(api: Api, node: LabNode) -> None:
    joined = await api.join("reception", "Via", conference_extension="meet")
    assert joined.uuid in node.conference("meet").members


async def test_request_token_reception_unknown_extension_is_404(api: Api) -> None:
    status, body = await api.request_token("reception", conference_extension="nowhere")
    assert (status, body["status"]) == (404, "failed")


async def test_request_token_reception_then_target_pin_challenge(api: Api) -> None:
    status, body = await api.request_token("reception", conference_extension="pinned")
    assert status == 403
    assert body["result"]["pin"] == "required"


async def test_reception_token_keeps_working_under_reception_alias(api: Api) -> None:
    joined = await api.join("reception", "Via", conference_extension="meet")
    status, body = await joined.get("participants")
    assert status == 200
    assert joined.uuid in [p["uuid"] for p in body["result"]]


async def test_reception_token_also_works_under_target_alias(api: Api) -> None:
    joined = await api.join("reception", "Via", conference_extension="meet")
    joined.alias = "meet"
    status, _body = await joined.get("conference_status")
    assert status == 200


async def test_token_of_one_room_is_refused_in_another(api: Api) -> None:
    joined = await api.join("meet")
    joined.alias = "pinned"
    status, body = await joined.get("participants")
    assert (status, body) == (403, {"status": "failed", "result": "Invalid token"})


async def test_request_token_sso_room_offers_identity_providers(api: Api) -> None:
    status, body = await api.request_token("sso")
    assert (status, body["status"]) == (403, "success")
    assert body["result"]["idp"][0]["name"] == "Lab IdP"
    assert "version" in body["result"]


async def test_request_token_sso_chosen_idp_redirects_to_node_page(api: Api, node: LabNode) -> None:
    _status, offered = await api.request_token("sso")
    idp = offered["result"]["idp"][0]["uuid"]
    status, body = await api.request_token("sso", chosen_idp=idp)
    assert (status, body["status"]) == (403, "success")
    assert body["result"]["redirect_url"].startswith(node.url + "/")
    assert body["result"]["redirect_idp"]["uuid"] == idp


async def test_sso_round_trip_admits_with_sso_token(api: Api) -> None:
    _status, offered = await api.request_token("sso", "Sam")
    idp = offered["result"]["idp"][0]["uuid"]
    _status, redirect = await api.request_token("sso", "Sam", chosen_idp=idp)
    async with api.session.get(redirect["result"]["redirect_url"]) as page:
        html = await page.text()
    match = re.search(r'data-sso-token="([^"]+)"', html)
    assert match is not None
    status, body = await api.request_token("sso", "Sam", sso_token=match.group(1))
    assert (status, body["result"]["role"]) == (200, "HOST")


async def test_sso_token_is_single_use(api: Api) -> None:
    _status, offered = await api.request_token("sso")
    _status, redirect = await api.request_token("sso", chosen_idp=offered["result"]["idp"][0]["uuid"])
    url = redirect["result"]["redirect_url"]
    async with api.session.get(url, headers={"Accept": "application/json"}) as page:
        sso_token = (await page.json())["result"]["token"]
    await api.join("sso", sso_token=sso_token)
    status, body = await api.request_token("sso", sso_token=sso_token)
    assert (status, body["status"]) == (403, "failed")


async def test_sso_redirect_flow_puts_token_into_redirect_target(api: Api) -> None:
    _status, offered = await api.request_token("sso")
    _status, redirect = await api.request_token(
        "sso",
        chosen_idp=offered["result"]["idp"][0]["uuid"],
        sso_redirect_target="https://app.example/back?t=__pexip-sso-token__",
    )
    async with api.session.get(redirect["result"]["redirect_url"], allow_redirects=False) as page:
        location = page.headers["Location"]
    assert location.startswith("https://app.example/back?t=")
    status, _body = await api.request_token("sso", sso_token=location.split("t=", 1)[1])
    assert status == 200


async def test_request_token_without_display_name_is_400(api: Api) -> None:
    status, body = await api.call("POST", f"{api.base}/api/client/v2/conferences/meet/request_token", {})
    assert (status, body["status"]) == (400, "failed")


async def test_request_token_malformed_body_is_400_envelope(api: Api) -> None:
    status, body = await api.call(
        "POST", f"{api.base}/api/client/v2/conferences/meet/request_token", raw=b"{not json"
    )
    assert (status, body["status"]) == (400, "failed")


async def test_labnode_serves_rooms_from_file(tmp_path: Path) -> None:
    rooms = tmp_path / "rooms.toml"
    rooms.write_text('[rooms.board]\nhost_pin = "1111"\nguest_pin = "2222"\nbots = 1\n')
    async with LabNode(port=0, media=False, rooms=rooms) as node, aiohttp.ClientSession() as session:
        client = Api(session, node.url)
        status, body = await client.request_token("board", pin="2222")
        assert (status, body["result"]["role"]) == (200, "GUEST")
        assert len(node.conference("board").members) == 2
