"""Dialling out from a conference: a simulated endpoint, or a registered device that really rings.

``POST dial`` (and a room's automatically dialled participants) add a
participant in ``connecting`` state at once, as Infinity does. What answers
depends on the destination:

* a **registered device** (an alias of the registrar's, ``sip:`` prefix
  allowed): the node offers the call on the device's registration stream
  (``incoming`` with a one-time token for this conference) and waits. The
  device answers by joining with that token; the ``connecting`` placeholder
  is then replaced by the device's own participant, marked
  ``call_direction: "out"`` like any dialled participant. Unanswered after
  the dial timeout (30 s, as Infinity), or hung up by a Host first, the
  offer is withdrawn with ``incoming_cancelled`` and the placeholder leaves;
* anything else: the simulated endpoint of :mod:`appliance.labnode.state.dialout`.

A room's ``auto_dial`` list is dialled once when the first participant joins
an empty conference, the way Infinity's automatically dialled participants
are (docs/labnode.md).
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from appliance.infinity.models import Role, ServiceType
from appliance.labnode.state import dialout
from appliance.labnode.state.conference import NodeConference
from appliance.labnode.state.node import NodeState
from appliance.labnode.state.registrar import DeviceConfig, Offer
from appliance.labnode.state.roster import Kind, Member
from appliance.labnode.state.tokens import Grant
from appliance.log import get_logger

_log = get_logger(__name__)

# How often a ringing offer checks whether a Host hung up the placeholder.
_POLL_S: Final = 0.1


def start_dial(
    state: NodeState,
    conference: NodeConference,
    destination: str,
    *,
    role: Role,
    name: str = "",
    call_type: str = "video",
    protocol: str = "sip",
    text: str = "",
    dtmf_sequence: str = "",
) -> Member:
    """Add the dialled participant (``connecting``) and start ringing; returns it at once."""
    shown = name or destination
    member = conference.admit(
        shown,
        role,
        kind=Kind.DIAL_OUT,
        service_type=ServiceType.CONNECTING.value,
        call_direction="out",
        protocol=protocol,
        uri=destination,
        is_video_call=call_type != "audio",
        is_audio_only_call=call_type == "audio",
        overlay_text=text or shown,
    )
    device = state.registrar.match(destination)
    if device is not None:
        coroutine = ring_device(state, conference, member, device)
    else:
        coroutine = dialout.ring(conference, member, state.settings.dial_plan, dtmf_sequence)
    state.spawn(coroutine, name=f"labnode-dial-{member.uuid}")
    return member


async def ring_device(
    state: NodeState, conference: NodeConference, member: Member, device: DeviceConfig
) -> None:
    """Offer the call to a registered device until it answers, a Host hangs up, or time runs out."""
    timeout = state.settings.dial_timeout
    token = state.tokens.grant(
        Grant(alias=conference.room.alias, role=member.participant.role, display_name=device.alias),
        lifetime=timeout + 5.0,
    )
    offer = Offer(
        device_alias=device.alias,
        token=token,
        conference_alias=conference.room.alias,
        remote_display_name=conference.room.display_name,
        placeholder_uuid=member.uuid,
    )
    if not state.registrar.offer(device, offer):
        _log.info("dial-out to an unregistered device fails", extra={"context": {"alias": device.alias}})
        state.tokens.redeem(token)
        await asyncio.sleep(min(1.0, timeout))
        conference.remove(member.uuid, None)
        return
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        while not offer.answered.is_set() and not member.gone:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            try:
                async with asyncio.timeout(min(_POLL_S, left)):
                    await offer.answered.wait()
            except TimeoutError:
                continue
    finally:
        if not offer.answered.is_set():
            state.registrar.cancel(token)
            state.tokens.redeem(token)  # the one-time token dies with the offer
            if not member.gone:
                _log.info(
                    "device did not answer; dial-out timed out", extra={"context": {"alias": device.alias}}
                )
                conference.remove(member.uuid, None)


def take_offer(state: NodeState, one_time_token: str) -> Offer | None:
    """The device offer ``one_time_token`` answers, taken out and marked answered (or None)."""
    return state.registrar.answered(one_time_token) if one_time_token else None


def answered_fields(offer: Offer) -> dict[str, Any]:
    """Participant fields that make the answering device look dialled (``call_direction: "out"``)."""
    return {"call_direction": "out", "protocol": "webrtc", "uri": offer.device_alias}


def drop_placeholder(state: NodeState, offer: Offer) -> None:
    """The device's own participant replaces the ``connecting`` one (after it was admitted)."""
    found = state.member_of(offer.placeholder_uuid)
    if found is not None:
        found[0].remove(offer.placeholder_uuid, None)


def auto_dial(state: NodeState, conference: NodeConference, joined: Member) -> None:
    """Dial the room's ``auto_dial`` list when ``joined`` is the first person in the conference."""
    if not conference.room.auto_dial:
        return
    others = [m for m in conference.members.values() if m.uuid != joined.uuid and m.kind is not Kind.BOT]
    if others:
        return
    role = Role.HOST if conference.room.host_pin is None else Role.GUEST
    for destination in conference.room.auto_dial:
        _log.info("automatically dialled participant", extra={"context": {"destination": destination}})
        start_dial(state, conference, destination, role=role)
