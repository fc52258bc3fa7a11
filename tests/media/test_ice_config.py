"""Which STUN and TURN servers a call may use: the node's and the site's, never a public default."""

from __future__ import annotations

import pytest
from aiortc import RTCPeerConnection

from appliance.media.engine import MediaCall
from appliance.media.ice import rtc_configuration
from appliance.media.plan import MediaSettings
from appliance.media.processing import ProcessingSettings
from tests.support.media import CAMERA, MICROPHONE, FakeFarEnd

pytestmark = pytest.mark.media

NODE_TURN = {"urls": ["turn:127.0.0.1:9?transport=tcp"], "username": "node", "credential": "secret"}


def settings(**overrides: object) -> MediaSettings:
    base = MediaSettings(
        audio_source=MICROPHONE, video_source=CAMERA, processing=ProcessingSettings(False, False, False)
    )
    for key, value in overrides.items():
        setattr(base, key, value)
    return base


def urls(configuration: object) -> list[object]:
    return [server.urls for server in configuration.iceServers]  # type: ignore[attr-defined]


def test_rtc_configuration_without_servers_is_an_empty_list_not_aiortcs_default() -> None:
    assert rtc_configuration().iceServers == []


def test_rtc_configuration_takes_stun_urls_and_the_nodes_url_objects() -> None:
    configuration = rtc_configuration(["stun:a.example:3478", {"url": "stun:b.example:3478"}])
    assert urls(configuration) == ["stun:a.example:3478", "stun:b.example:3478"]


def test_rtc_configuration_takes_turn_with_credentials_in_both_forms() -> None:
    configuration = rtc_configuration(
        turn=[NODE_TURN, {"url": "turn:site.example:3478", "username": "site", "credential": "pw"}]
    )
    node, site = configuration.iceServers
    assert (node.urls, node.username, node.credential) == (NODE_TURN["urls"], "node", "secret")
    assert (site.urls, site.username, site.credential) == ("turn:site.example:3478", "site", "pw")


def test_rtc_configuration_names_each_server_once() -> None:
    configuration = rtc_configuration(["stun:a.example", "stun:a.example"], [NODE_TURN, dict(NODE_TURN)])
    assert urls(configuration) == ["stun:a.example", NODE_TURN["urls"]]


def test_call_uses_the_nodes_servers_then_default_stun_and_turn_server() -> None:
    call = MediaCall(
        FakeFarEnd(),
        settings(
            default_stun="stun:site.example:3478",
            turn_server={"url": "turn:site.example:3478", "username": "site", "credential": "pw"},
        ),
        node_stun=[{"url": "stun:node.example:3478"}],
        node_turn=[NODE_TURN],
    )
    assert urls(call.ice_configuration()) == [
        "stun:node.example:3478",
        "stun:site.example:3478",
        NODE_TURN["urls"],
        "turn:site.example:3478",
    ]


def test_call_without_any_server_configures_none() -> None:
    call = MediaCall(FakeFarEnd(), settings())
    assert call.ice_configuration().iceServers == []


def _stun_server_of(pc: RTCPeerConnection) -> object:
    transport = pc.getTransceivers()[0].sender.transport.transport
    return transport.iceGatherer._connection.stun_server


async def test_a_live_call_without_servers_never_asks_a_public_stun_server(far_end: FakeFarEnd) -> None:
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        assert call.pc is not None
        assert _stun_server_of(call.pc) is None
    finally:
        await call.close()


async def test_turn_servers_from_calls_answers_are_kept_once_across_restarts(far_end: FakeFarEnd) -> None:
    # a TCP TURN server on a closed loopback port: refused at once, gathering goes on
    far_end.turn = [NODE_TURN]
    call = MediaCall(far_end, settings())
    try:
        await call.start()
        await call.restart_ice()
        await call.restart_ice()
        assert urls(call.ice_configuration()) == [NODE_TURN["urls"]]
    finally:
        await call.close()
