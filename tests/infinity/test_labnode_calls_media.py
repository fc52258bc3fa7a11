"""Call endpoints (calls, ack, new_candidate, update, disconnect) with real WebRTC against the lab node."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription

from appliance.infinity import ClientOptions, InfinitySession, TokenGrant
from appliance.labnode.app import LabNode
from appliance.media.ice import rtc_configuration, use_host_addresses


@pytest.mark.media
async def test_labnode_call_offer_answer_ack_update_disconnect(fast: ClientOptions) -> None:
    use_host_addresses(["127.0.0.1"])
    options = dataclasses.replace(fast, request_timeout=10.0, request_token_timeout=10.0)
    async with (
        LabNode(host="127.0.0.1", port=0, media=True) as lab,
        InfinitySession(lab.url, "meet", options=options) as session,
    ):
        assert isinstance(await session.join("Media"), TokenGrant)
        pc = RTCPeerConnection(configuration=rtc_configuration([], []))
        try:
            pc.addTransceiver("audio", direction="recvonly")
            pc.addTransceiver("video", direction="recvonly")
            await pc.setLocalDescription(await pc.createOffer())
            info = await session.calls.create_call(pc.localDescription.sdp, media_type="video")
            assert info.call_uuid and "m=video" in info.sdp
            await pc.setRemoteDescription(RTCSessionDescription(sdp=info.sdp, type="answer"))
            await session.calls.ack(info.call_uuid)
            await session.calls.new_candidate(info.call_uuid, "", "0")
            await pc.setLocalDescription(await pc.createOffer())
            answer = await session.calls.update(info.call_uuid, pc.localDescription.sdp)
            assert answer.startswith("v=0")
            await session.calls.call_statistics(info.call_uuid, {"audio": {"rx_bitrate": 1}})
            await session.calls.disconnect_call(info.call_uuid)
        finally:
            await asyncio.wait_for(pc.close(), 10)
        assert session.joined


@pytest.mark.media
async def test_labnode_call_level_dtmf_and_fecc(fast: ClientOptions) -> None:
    use_host_addresses(["127.0.0.1"])
    options = dataclasses.replace(fast, request_timeout=10.0, request_token_timeout=10.0)
    async with (
        LabNode(host="127.0.0.1", port=0, media=True) as lab,
        InfinitySession(lab.url, "meet", options=options) as session,
    ):
        assert isinstance(await session.join("Keypad"), TokenGrant)
        pc = RTCPeerConnection(configuration=rtc_configuration([], []))
        try:
            pc.addTransceiver("audio", direction="sendrecv")
            await pc.setLocalDescription(await pc.createOffer())
            info = await session.calls.create_call(pc.localDescription.sdp, media_type="audio")
            await session.calls.ack(info.call_uuid)
            assert await session.calls.send_dtmf(info.call_uuid, "12#") is True
            member = lab.conference("meet").find_call(info.call_uuid)
            assert member is not None and member.dtmf_sent == ["12#"]
            # The lab node has no gateway far end to steer: it reads the signal and answers false.
            assert await session.calls.send_fecc(info.call_uuid, "start", "pan", "left") is False
            await session.calls.disconnect_call(info.call_uuid)
        finally:
            await asyncio.wait_for(pc.close(), 10)
