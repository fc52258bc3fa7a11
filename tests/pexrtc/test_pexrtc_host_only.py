"""Host-only methods called as a Guest fail locally, before any request, and do not act."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from appliance import PexRTC
from appliance.infinity.errors import NotHost
from appliance.labnode.app import LabNode
from tests.support.pexrtc import Join

# method -> call with a target uuid (another participant's)
HOST_ONLY: dict[str, Callable[[PexRTC, str], Any]] = {
    "dialOut": lambda rtc, uuid: rtc.dialOut("sip:bob@example.com", "sip"),
    "setConferenceLock": lambda rtc, uuid: rtc.setConferenceLock(True),
    "setMuteAllGuests": lambda rtc, uuid: rtc.setMuteAllGuests(True),
    "setParticipantMute": lambda rtc, uuid: rtc.setParticipantMute(uuid, True),
    "videoMuted": lambda rtc, uuid: rtc.videoMuted(uuid),
    "videoUnmuted": lambda rtc, uuid: rtc.videoUnmuted(uuid),
    "setParticipantRxPresentation": lambda rtc, uuid: rtc.setParticipantRxPresentation(uuid, False),
    "setParticipantSpotlight": lambda rtc, uuid: rtc.setParticipantSpotlight(uuid, True),
    "setParticipantText": lambda rtc, uuid: rtc.setParticipantText(uuid, "x"),
    "setPresentationInMix": lambda rtc, uuid: rtc.setPresentationInMix(True, uuid),
    "setRole": lambda rtc, uuid: rtc.setRole(uuid, "guest"),
    "unlockParticipant": lambda rtc, uuid: rtc.unlockParticipant(uuid),
    "clearBuzz": lambda rtc, uuid: rtc.clearBuzz(uuid),
    "clearAllBuzz": lambda rtc, uuid: rtc.clearAllBuzz(),
    "transformLayout": lambda rtc, uuid: rtc.transformLayout({"layout": "4:0"}),
    "transferParticipant": lambda rtc, uuid: rtc.transferParticipant(uuid, "meet"),
    "startConference": lambda rtc, uuid: rtc.startConference(),
    "setClassificationLevel": lambda rtc, uuid: rtc.setClassificationLevel(1),
    "disconnectParticipant": lambda rtc, uuid: rtc.disconnectParticipant(uuid),
    "disconnectAll": lambda rtc, uuid: rtc.disconnectAll(),
}


@pytest.mark.parametrize("method", sorted(HOST_ONLY))
async def test_host_only_method_as_guest_raises_not_host_and_does_not_act(
    node: LabNode, join: Join, method: str
) -> None:
    host, host_rec = await join("pinned", "Host", pin="1234")
    guest, guest_rec = await join("pinned", "Guest", pin="5678")
    before = len(host_rec.events)
    with pytest.raises(NotHost, match="Host rights"):
        HOST_ONLY[method](guest, host.uuid)
    # Nothing reached the node: a marker sent afterwards is the next thing the host sees.
    await guest.sendChatMessage("marker")
    await host_rec.wait_for("onChatMessage")
    assert host_rec.names()[before:] == ["onChatMessage"]
    assert guest_rec.count("onError") == 0
    assert host.uuid in node.conference("pinned").members


async def test_self_service_methods_are_allowed_to_a_guest(join: Join) -> None:
    _host, host_rec = await join("pinned", "Host", pin="1234")
    guest, _ = await join("pinned", "Guest", pin="5678")
    await guest.videoMuted(guest.uuid)
    await guest.setBuzz()
    await guest.clearBuzz(guest.uuid)
    await guest.setPresentationInMix(True, guest.uuid)
    await host_rec.wait_for(
        "onParticipantUpdate", lambda p: p["uuid"] == guest.uuid and p["needs_presentation_in_mix"] is True
    )
