"""Leaving, being removed, and being transferred."""

from __future__ import annotations

from appliance.labnode.app import LabNode
from tests.support.pexrtc import Join


async def test_disconnect_releases_the_token_and_leaves(node: LabNode, join: Join) -> None:
    rtc, _ = await join(name="Leaver")
    uuid = rtc.uuid
    await rtc.disconnect()
    assert uuid not in node.conference("meet").members
    assert rtc.uuid is None


async def test_disconnect_does_not_fire_ondisconnect(join: Join) -> None:
    rtc, rec = await join(name="Leaver")
    await rtc.disconnect()
    assert rec.count("onDisconnect") == 0


async def test_disconnectcall_without_media_keeps_the_participant(node: LabNode, join: Join) -> None:
    rtc, _ = await join(name="Roster")
    await rtc.disconnectcall()
    assert rtc.uuid in node.conference("meet").members


async def test_disconnectparticipant_fires_ondisconnect_at_the_target(node: LabNode, join: Join) -> None:
    host, _ = await join(name="Host")
    other, other_rec = await join(name="Other")
    uuid = other.uuid
    await host.disconnectParticipant(uuid)
    (reason,) = await other_rec.wait_for("onDisconnect")
    assert reason
    assert uuid not in node.conference("meet").members
    assert other.uuid is None


async def test_disconnectall_disconnects_everyone_including_the_caller(join: Join) -> None:
    host, host_rec = await join(name="Host")
    _, other_rec = await join(name="Other")
    await host.disconnectAll()
    await other_rec.wait_for("onDisconnect")
    await host_rec.wait_for("onDisconnect")


async def test_node_kick_fires_ondisconnect_with_the_reason(node: LabNode, join: Join) -> None:
    rtc, rec = await join(name="Kicked")
    assert node.control.kick(rtc.uuid, "Disconnected by an administrator")
    assert await rec.wait_for("onDisconnect") == ("Disconnected by an administrator",)


async def test_transferparticipant_fires_oncalltransfer_at_the_target(join: Join) -> None:
    host, _ = await join(name="Host")
    moved, moved_rec = await join(name="Moved")
    await host.transferParticipant(moved.uuid, "pinned", "guest", "5678")
    assert await moved_rec.wait_for("onCallTransfer") == ("pinned",)


async def test_transfer_is_followed_to_the_new_conference_with_onsetup_again(
    node: LabNode, join: Join
) -> None:
    host, _ = await join(name="Host")
    moved, moved_rec = await join(name="Moved")
    old_uuid = moved.uuid
    await host.transferParticipant(moved.uuid, "pinned", "guest", "5678")
    await moved_rec.wait_for("onCallTransfer")
    assert await moved_rec.wait_for("onSetup") == (None, "none", None, None)
    moved.connect()
    await moved_rec.wait_for("onConnect")
    assert moved.uuid in node.conference("pinned").members
    assert moved.role == "GUEST"
    assert old_uuid not in node.conference("meet").members


async def test_node_restart_is_fatal_onerror(node: LabNode, join: Join) -> None:
    rtc, rec = await join(name="Survivor")
    await node.control.restart()
    (err,) = await rec.wait_for("onError")
    assert err
    assert rtc.uuid is None


async def test_node_forced_token_refresh_keeps_the_call(node: LabNode, join: Join) -> None:
    rtc, rec = await join(name="Refreshed")
    assert node.control.request_token_refresh(rtc.uuid)
    await rtc.setBuzz()
    await rec.wait_for("onParticipantUpdate", lambda p: p["uuid"] == rtc.uuid and p["buzz_time"] > 0)
    assert rec.count("onError") == 0
