"""Conference and participant control: one PexRTC acts, another observes through its callbacks."""

from __future__ import annotations

import json

from appliance.labnode.app import LabNode
from tests.support.pexrtc import Join


def is_(uuid: str | None, **fields: object):  # type: ignore[no-untyped-def]
    """A participant-object predicate: this uuid with these wire values."""

    def check(participant: dict[str, object]) -> bool:
        return participant["uuid"] == uuid and all(participant.get(k) == v for k, v in fields.items())

    return check


async def test_setconferencelock_is_seen_by_others_as_onconferenceupdate(join: Join) -> None:
    host, _ = await join(name="Host")
    _, observer = await join(name="Observer")
    await host.setConferenceLock(True)
    await observer.wait_for("onConferenceUpdate", lambda p: p["locked"] is True)
    await host.setConferenceLock(False)
    await observer.wait_for("onConferenceUpdate", lambda p: p["locked"] is False)


async def test_setmuteallguests_is_seen_as_guests_muted(join: Join) -> None:
    host, _ = await join("pinned", "Host", pin="1234")
    _, guest = await join("pinned", "Guest", pin="5678")
    await host.setMuteAllGuests(True)
    await guest.wait_for("onConferenceUpdate", lambda p: p["guests_muted"] is True)


async def test_setparticipantmute_updates_is_muted(join: Join) -> None:
    host, _ = await join(name="Host")
    other, observer = await join(name="Other")
    await host.setParticipantMute(other.uuid, True)
    await observer.wait_for("onParticipantUpdate", is_(other.uuid, is_muted="YES"))
    await host.setParticipantMute(other.uuid, False)
    await observer.wait_for("onParticipantUpdate", is_(other.uuid, is_muted="NO"))


async def test_videomuted_and_videounmuted_of_another_participant(join: Join) -> None:
    host, _ = await join(name="Host")
    other, observer = await join(name="Other")
    await host.videoMuted(other.uuid)
    await observer.wait_for("onParticipantUpdate", is_(other.uuid, is_video_muted=True))
    await host.videoUnmuted(other.uuid)
    await observer.wait_for("onParticipantUpdate", is_(other.uuid, is_video_muted=False))


async def test_videomuted_without_uuid_mutes_yourself(join: Join) -> None:
    _, observer = await join(name="Observer")
    guest, _ = await join("pinned", "Guest", pin="5678")
    rtc, _ = await join(name="Self")
    await rtc.videoMuted()
    await observer.wait_for("onParticipantUpdate", is_(rtc.uuid, is_video_muted=True))
    assert guest.role == "GUEST"


async def test_setparticipantrxpresentation_updates_the_policy(join: Join) -> None:
    host, _ = await join(name="Host")
    other, observer = await join(name="Other")
    await host.setParticipantRxPresentation(other.uuid, False)
    await observer.wait_for("onParticipantUpdate", is_(other.uuid, rx_presentation_policy="DENY"))


async def test_setparticipantspotlight_sets_and_clears_the_spotlight(join: Join) -> None:
    host, _ = await join(name="Host")
    other, observer = await join(name="Other")
    await host.setParticipantSpotlight(other.uuid, True)
    await observer.wait_for("onParticipantUpdate", lambda p: p["uuid"] == other.uuid and p["spotlight"] > 0)
    await host.setParticipantSpotlight(other.uuid, False)
    await observer.wait_for("onParticipantUpdate", is_(other.uuid, spotlight=0.0))


async def test_setparticipanttext_changes_the_overlay_text(join: Join) -> None:
    host, _ = await join(name="Host")
    other, observer = await join(name="Other")
    await host.setParticipantText(other.uuid, "Board room")
    await observer.wait_for("onParticipantUpdate", is_(other.uuid, overlay_text="Board room"))


async def test_setpresentationinmix_for_yourself(join: Join) -> None:
    _, observer = await join(name="Observer")
    rtc, _ = await join(name="Self")
    await rtc.setPresentationInMix(True)
    await observer.wait_for("onParticipantUpdate", is_(rtc.uuid, needs_presentation_in_mix=True))


async def test_setrole_promotes_a_guest_to_chair(join: Join) -> None:
    host, _ = await join("pinned", "Host", pin="1234")
    guest, guest_rec = await join("pinned", "Guest", pin="5678")
    await host.setRole(guest.uuid, "chair")
    await guest_rec.wait_for("onParticipantUpdate", is_(guest.uuid, role="chair"))


async def test_unlockparticipant_admits_a_participant_waiting_at_a_locked_conference(join: Join) -> None:
    host, host_rec = await join("pinned", "Host", pin="1234")
    await host.setConferenceLock(True)
    late, _ = await join("pinned", "Late", pin="5678")
    assert late.current_service_type == "waiting_room"
    await host.unlockParticipant(late.uuid)
    await host_rec.wait_for("onParticipantUpdate", is_(late.uuid, service_type="conference"))


async def test_senddtmf_to_a_participant_reaches_it(node: LabNode, join: Join) -> None:
    _, _ = await join(name="Host")
    target, _ = await join(name="Gateway")
    sender, _ = await join(name="Sender")
    await sender.sendDTMF("12#", target.uuid)
    assert node.conference("meet").get(target.uuid).dtmf_received == ["12#"]


async def test_sendfecc_to_a_participant_fires_its_onfecc(join: Join) -> None:
    target, target_rec = await join(name="Camera", fecc_supported=True)
    sender, _ = await join(name="Controller")
    await sender.sendFECC("start", "pan", "left", target.uuid, 1000)
    (signal,) = await target_rec.wait_for("onFECC")
    assert signal == {"action": "start", "movement": [{"axis": "pan", "direction": "left"}], "timeout": 1000}


async def test_onfecc_is_silent_unless_fecc_supported(join: Join) -> None:
    target, target_rec = await join(name="Camera")
    sender, _ = await join(name="Controller")
    await sender.sendFECC("start", "zoom", "in", target.uuid, 200)
    await sender.sendChatMessage("marker")
    await target_rec.wait_for("onChatMessage")
    assert target_rec.count("onFECC") == 0


async def test_setbuzz_raises_and_clearbuzz_lowers_the_hand(join: Join) -> None:
    _, observer = await join(name="Observer")
    rtc, _ = await join(name="Hand")
    await rtc.setBuzz()
    await observer.wait_for("onParticipantUpdate", lambda p: p["uuid"] == rtc.uuid and p["buzz_time"] > 0)
    await rtc.clearBuzz()
    await observer.wait_for("onParticipantUpdate", is_(rtc.uuid, buzz_time=0.0))


async def test_clearallbuzz_lowers_every_hand(join: Join) -> None:
    host, host_rec = await join(name="Host")
    hand, _ = await join(name="Hand")
    await hand.setBuzz()
    await host_rec.wait_for("onParticipantUpdate", lambda p: p["uuid"] == hand.uuid and p["buzz_time"] > 0)
    await host.clearAllBuzz()
    await host_rec.wait_for("onParticipantUpdate", is_(hand.uuid, buzz_time=0.0))


async def test_transformlayout_changes_the_layout_others_see(join: Join) -> None:
    host, _ = await join(name="Host")
    _, observer = await join(name="Observer")
    await host.transformLayout({"layout": "4:0", "enable_overlay_text": False})
    _view, participants, _requested, overlay_text_enabled = await observer.wait_for(
        "onLayoutUpdate", lambda view, *rest: view == "4:0"
    )
    assert participants == [] and overlay_text_enabled is False


async def test_transformlayout_accepts_streaming_and_free_form_overlay_text(
    node: LabNode, join: Join
) -> None:
    host, _ = await join(name="Host")
    transforms = {
        "streaming": {"layout": "1:0", "waiting_screen_enabled": True, "indicators_enabled": False},
        "free_form_overlay_text": ["Alice", "Bob"],
    }
    assert await host.transformLayout(transforms) is True


async def test_transformlayout_empty_object_resets_the_layout(join: Join) -> None:
    host, _ = await join(name="Host")
    _, observer = await join(name="Observer")
    await host.transformLayout({"layout": "9:0"})
    await observer.wait_for("onLayoutUpdate", lambda view, *rest: view == "9:0")
    await host.transformLayout({})
    await observer.wait_for("onLayoutUpdate", lambda view, *rest: view != "9:0")


async def test_setclassificationlevel_is_seen_in_onconferenceupdate(join: Join) -> None:
    host, _ = await join(name="Host")
    _, observer = await join(name="Observer")
    await host.setClassificationLevel(2)
    await observer.wait_for(
        "onConferenceUpdate", lambda p: (p.get("classification") or {}).get("current") == 2
    )


async def test_getclassificationlevel_delivers_levels_to_the_callback(join: Join) -> None:
    rtc, _ = await join(name="Host")
    seen: list[dict[str, object]] = []
    await rtc.getClassificationLevel(seen.append)
    await rtc.conference.session.control.conference_status()  # let the delivery run
    assert seen and seen[0]["current"] == 0 and "0" in seen[0]["levels"]  # type: ignore[operator]


async def test_getclassificationlevel_without_callback_returns_the_levels(join: Join) -> None:
    rtc, _ = await join(name="Host")
    result = await rtc.getClassificationLevel()
    assert set(result) == {"current", "levels"}


async def test_dialout_returns_the_new_participant_uuids_and_they_appear_connecting(join: Join) -> None:
    host, host_rec = await join(name="Host")
    result = await host.dialOut("sip:bob@example.com", "sip", "GUEST")
    assert len(result["result"]) == 1
    (uuid,) = result["result"]
    await host_rec.wait_for("onParticipantCreate", is_(uuid, service_type="connecting"))


async def test_dialout_with_callback_delivers_the_result_object(join: Join) -> None:
    host, host_rec = await join(name="Host")
    seen: list[dict[str, list[str]]] = []
    await host.dialOut("sip:carol@example.com", "auto", "HOST", seen.append, {"remote_display_name": "Carol"})
    (uuid,) = await host_rec.wait_for("onParticipantCreate", lambda p: p["display_name"] == "Carol")
    assert seen == [{"result": [uuid["uuid"]]}]


async def test_requestaspectratio_reaches_the_node(node: LabNode, join: Join) -> None:
    rtc, _ = await join(name="Portrait")
    await rtc.requestAspectRatio(9 / 16)
    assert node.conference("meet").get(rtc.uuid).aspect_ratio == 0.5625


async def test_muteaudio_returns_the_setting_and_reports_client_mute(join: Join) -> None:
    _, observer = await join(name="Observer")
    rtc, _ = await join(name="Mic")
    assert rtc.muteAudio(True) is True
    await observer.wait_for("onParticipantUpdate", is_(rtc.uuid, is_client_muted=True))
    assert rtc.muteAudio(False) is False
    await observer.wait_for("onParticipantUpdate", is_(rtc.uuid, is_client_muted=False))


async def test_mutevideo_returns_the_setting_and_reports_video_mute(join: Join) -> None:
    _, observer = await join(name="Observer")
    rtc, _ = await join(name="Camera")
    assert rtc.muteVideo(True) is True
    await observer.wait_for("onParticipantUpdate", is_(rtc.uuid, is_video_muted=True))


async def test_chat_message_is_delivered_to_onchatmessage(join: Join) -> None:
    sender, _ = await join(name="Sender")
    _, receiver = await join(name="Receiver")
    await sender.sendChatMessage("hello room")
    (message,) = await receiver.wait_for("onChatMessage")
    assert (message["origin"], message["uuid"], message["payload"]) == ("Sender", sender.uuid, "hello room")


async def test_chat_message_to_a_uuid_is_delivered_to_ondirectmessage(join: Join) -> None:
    sender, _ = await join(name="Sender")
    receiver, receiver_rec = await join(name="Receiver")
    _, bystander = await join(name="Bystander")
    await sender.sendChatMessage("psst", receiver.uuid)
    (message,) = await receiver_rec.wait_for("onDirectMessage")
    assert message["payload"] == "psst" and message["direct"] is True
    await sender.sendChatMessage("marker")
    await bystander.wait_for("onChatMessage", lambda m: m["payload"] == "marker")
    assert bystander.count("onDirectMessage") == 0


async def test_application_message_is_delivered_as_json_to_onapplicationmessage(join: Join) -> None:
    sender, _ = await join(name="Sender")
    _, receiver = await join(name="Receiver")
    await sender.sendApplicationMessage({"kind": "poll", "options": [1, 2]})
    (message,) = await receiver.wait_for("onApplicationMessage")
    assert json.loads(message["payload"]) == {"kind": "poll", "options": [1, 2]}
    assert message["direct"] is False and receiver.count("onChatMessage") == 0


async def test_roster_callbacks_follow_a_participant_joining_and_leaving(join: Join) -> None:
    _, observer = await join(name="Observer")
    other, _ = await join(name="Visitor")
    await observer.wait_for("onParticipantCreate", is_(other.uuid, display_name="Visitor"))
    (roster,) = await observer.wait_for("onRosterList", lambda r: any(p["uuid"] == other.uuid for p in r))
    assert {p["display_name"] for p in roster} == {"Observer", "Visitor"}
    uuid = other.uuid
    await other.disconnect()
    assert await observer.wait_for("onParticipantDelete") == ({"uuid": uuid},)


async def test_clearallbuzz_is_seen_by_another_participant(join: Join) -> None:
    host, _ = await join(name="Host")
    hand, _ = await join(name="Hand")
    _, observer = await join(name="Observer")
    await hand.setBuzz()
    await observer.wait_for("onParticipantUpdate", lambda p: p["uuid"] == hand.uuid and p["buzz_time"] > 0)
    await host.clearAllBuzz()
    await observer.wait_for("onParticipantUpdate", is_(hand.uuid, buzz_time=0.0))


async def test_unlockparticipant_is_seen_by_another_participant(join: Join) -> None:
    host, _ = await join("pinned", "Host", pin="1234")
    _, observer = await join("pinned", "Observer", pin="1234")
    await host.setConferenceLock(True)
    late, _ = await join("pinned", "Late", pin="5678")
    await observer.wait_for("onParticipantCreate", is_(late.uuid, service_type="waiting_room"))
    await host.unlockParticipant(late.uuid)
    await observer.wait_for("onParticipantUpdate", is_(late.uuid, service_type="conference"))


async def test_dialout_is_seen_by_another_participant_as_onparticipantcreate(join: Join) -> None:
    host, _ = await join(name="Host")
    _, observer = await join(name="Observer")
    result = await host.dialOut("sip:dave@example.com", "sip", "GUEST", None, {"remote_display_name": "Dave"})
    (uuid,) = result["result"]
    (created,) = await observer.wait_for("onParticipantCreate", is_(uuid))
    assert created["display_name"] == "Dave" and created["role"] == "guest"


async def test_transformlayout_with_streaming_and_free_form_overlay_text_reaches_others(
    node: LabNode, join: Join
) -> None:
    host, _ = await join(name="Host")
    _, observer = await join(name="Observer")
    transforms = {
        "layout": "4:0",
        "enable_overlay_text": True,
        "streaming": {"layout": "1:0", "waiting_screen_enabled": True, "indicators_enabled": False},
        "free_form_overlay_text": ["Alice", "Bob"],
    }
    await host.transformLayout(transforms)
    _view, _participants, _requested, overlay_text_enabled = await observer.wait_for(
        "onLayoutUpdate", lambda view, *rest: view == "4:0"
    )
    assert overlay_text_enabled is True
    # The lab node keeps what it has no picture for: the streaming layout and the free-form texts.
    applied = node.conference("meet").transforms
    assert applied["streaming"] == transforms["streaming"]
    assert applied["free_form_overlay_text"] == ["Alice", "Bob"]
