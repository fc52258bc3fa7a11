"""Simulated dial-out: the far end of ``POST dial`` without any SIP.

A dialled participant appears at once as ``service_type: "connecting"``,
``call_direction: "out"``, then answers after a short delay (and, with
media on, shows in the mix as a bot), exactly as a real endpoint picked up
by a person would. Destinations whose user part starts with ``noanswer``
never answer and are dropped when the dial timeout runs out (30 s like
Infinity, shorter per node for tests); ``reject`` or ``busy`` refuse at
once. That gives clients and tests every branch of the roster change a
real dial-out produces.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from appliance.infinity.models import ServiceType
from appliance.labnode.state.conference import NodeConference
from appliance.labnode.state.roster import Member
from appliance.log import get_logger

_log = get_logger(__name__)

DEFAULT_ANSWER_DELAY = 1.0
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class DialPlan:
    answer_delay: float = DEFAULT_ANSWER_DELAY
    timeout: float = DEFAULT_TIMEOUT


def user_part(destination: str) -> str:
    text = destination.strip().lower()
    for scheme in ("sips:", "sip:", "h323:", "tel:"):
        text = text.removeprefix(scheme)
    return text.split("@", 1)[0]


def never_answers(destination: str) -> bool:
    return user_part(destination).startswith("noanswer")


def refuses(destination: str) -> bool:
    return user_part(destination).startswith(("reject", "busy"))


async def ring(conference: NodeConference, member: Member, plan: DialPlan, dtmf_sequence: str = "") -> None:
    """Play out one dial-out: answer, refuse or time out."""
    destination = member.participant.uri
    if refuses(destination):
        await asyncio.sleep(min(plan.answer_delay, plan.timeout))
        _log.info("dial-out refused", extra={"context": {"uuid": member.uuid}})
        conference.remove(member.uuid, None)
        return
    if never_answers(destination) or plan.answer_delay >= plan.timeout:
        await asyncio.sleep(plan.timeout)
        _log.info("dial-out unanswered; timing out", extra={"context": {"uuid": member.uuid}})
        conference.remove(member.uuid, None)
        return
    await asyncio.sleep(plan.answer_delay)
    if member.gone:
        return
    hub = conference.ensure_hub()
    if hub is not None:
        hub.add_bot(member.uuid, member.participant.display_name)
    conference.update(
        member,
        service_type=ServiceType.CONFERENCE.value,
        has_media=True,
        start_time=conference.now(),
    )
    if dtmf_sequence:
        member.dtmf_received.append(dtmf_sequence)
