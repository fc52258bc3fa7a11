"""Direct media: two participants talk peer to peer; the node relays their signalling.

Reference §4.4. The node never touches the media of a direct call and the
conference's mixer is never made for it. The scheme (docs/labnode.md,
"Direct media") is chosen so that a client only ever has to do one of the
two things every Pexip client already does:

* The first participant to ``POST calls`` has nobody to talk to: its
  offer is answered ``offer_ignored`` with an empty ``sdp`` and it waits.
* The second participant's ``POST calls`` offer is forwarded to the first
  as SSE ``new_offer {sdp}``; the first answers in ``calls/{c}/ack {sdp}``
  and that answer becomes the ``sdp`` of the second's ``calls`` result.
  So the second is an ordinary caller (offer → answer → trickle → ack)
  and the first an ordinary direct-media answerer.
* ``update`` is relayed the same way (SSE ``update_sdp``, answer in
  ``ack``), ``new_candidate`` is forwarded as SSE ``new_candidate``, and a
  call that ends sends ``peer_disconnect`` to the other side, which hangs
  up and calls again (so it is the waiting first participant once more).

A third direct participant's call is refused (403): escalating to the
mixer is out of scope. The wait for the answering side is shorter than a
client's request timeout so a silent peer fails the call rather than
making the client retry a ``POST calls``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from appliance.labnode.state.events import SentEvent
from appliance.labnode.state.refusals import ApiError
from appliance.labnode.state.rooms import RoomConfig
from appliance.labnode.state.roster import Member
from appliance.log import get_logger

# Below the client's 10 s request timeout: clients retry a timed-out POST.
ANSWER_TIMEOUT: Final = 8.0
MAX_DIRECT_CALLS: Final = 2
TOO_MANY: Final = (
    "Direct media connects two participants; this conference already has two with media "
    "(escalation to a transcoded conference is not supported by the lab node)"
)


@dataclass(eq=False)
class DirectCall:
    """One participant's media call in a direct-media room."""

    member: Member
    call_uuid: str
    media_type: str
    peer: DirectCall | None = None
    # set while this call has been sent an offer and owes the answer in ack
    answer: asyncio.Future[str] | None = field(default=None, repr=False)
    # told to call again (peer_disconnect); its offer is no longer awaited
    restarting: bool = False

    @property
    def idle(self) -> bool:
        """Neither paired nor busy answering: its offer was discarded and it waits."""
        return self.peer is None and self.answer is None and not self.restarting


class DirectMediaRelay:
    """The signalling relay of one direct-media conference.

    It needs only the room's settings and the members it is handed, not the
    conference: the members carry their own event streams.
    """

    def __init__(self, room: RoomConfig) -> None:
        self._room = room
        self.calls: dict[str, DirectCall] = {}
        self._log = get_logger(__name__, conference=room.alias)

    def applies_to(self, member: Member) -> bool:
        """Whether this member's calls are relayed (room and token both direct media)."""
        return self._room.direct_media and member.direct_media

    def owns(self, call_uuid: str) -> bool:
        return call_uuid in self.calls

    @property
    def connected(self) -> bool:
        """Two calls are paired: media flows between them, not through the node."""
        return any(call.peer is not None for call in self.calls.values())

    # --- call set-up ------------------------------------------------------------

    async def create(self, member: Member, call_uuid: str, offer: str, media_type: str) -> dict[str, Any]:
        """``POST calls``: the ``result`` object (answer relayed, or ``offer_ignored``)."""
        if any(call.member is member for call in self.calls.values()):
            raise ApiError(403, "Direct media allows one media call per participant; disconnect it first")
        if len(self.calls) >= MAX_DIRECT_CALLS:
            raise ApiError(403, TOO_MANY)
        call = DirectCall(member, call_uuid, media_type)
        waiting = self._waiting_partner(call)
        self.calls[call_uuid] = call
        if waiting is None:
            self._log.info("direct call waits for a peer", extra={"context": {"call": call_uuid}})
            return {"call_uuid": call_uuid, "sdp": "", "offer_ignored": True}
        try:
            answer = await self._relay_offer(waiting, "new_offer", offer)
        except BaseException:
            self.calls.pop(call_uuid, None)
            raise
        if call_uuid not in self.calls:  # the caller left meanwhile
            raise ApiError(403, "Participant left while the call was being set up")
        call.peer, waiting.peer = waiting, call
        pair = {"call": call_uuid, "peer": waiting.call_uuid}
        self._log.info("direct call paired", extra={"context": pair})
        return {"call_uuid": call_uuid, "sdp": answer}

    def _waiting_partner(self, call: DirectCall) -> DirectCall | None:
        if not call.member.in_conference:
            return None
        for other in self.calls.values():
            if other.idle and other.member.in_conference:
                return other
        return None

    async def _relay_offer(self, target: DirectCall, event: str, offer: str) -> str:
        """Send ``offer`` to ``target`` and wait for the answer it puts in its ``ack``."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        target.answer = future
        target.member.send(SentEvent(event, {"sdp": offer}))
        try:
            async with asyncio.timeout(ANSWER_TIMEOUT):
                return await future
        except TimeoutError:
            # It may be half-way; make it start over as the waiting side.
            target.restarting = True
            target.member.send(SentEvent("peer_disconnect", {}))
            raise ApiError(504, "The other participant did not answer the offer") from None
        finally:
            if target.answer is future:
                target.answer = None

    def ack(self, call_uuid: str, body: Mapping[str, Any]) -> None:
        """``calls/{c}/ack``: an answer owed to the peer, or just "media is starting"."""
        call = self.calls[call_uuid]
        future = call.answer
        if future is None or future.done():
            return
        sdp = body.get("sdp")
        if body.get("offer_ignored") is True:
            future.set_exception(ApiError(409, "The other participant ignored the offer"))
        elif isinstance(sdp, str) and sdp.strip():
            future.set_result(sdp)
        else:
            raise ApiError(400, "Field sdp: expected the answer to the relayed offer")

    async def update(self, call_uuid: str, offer: str) -> dict[str, Any]:
        """``calls/{c}/update``: relay the new offer as ``update_sdp``; answer from the peer's ack."""
        call = self.calls[call_uuid]
        peer = call.peer
        if peer is None:
            # Nobody to renegotiate with: the offer is discarded as at set-up.
            return {"call_uuid": call_uuid, "sdp": "", "offer_ignored": True}
        answer = await self._relay_offer(peer, "update_sdp", offer)
        return {"call_uuid": call_uuid, "sdp": answer}

    def candidate(self, call_uuid: str, candidate: Mapping[str, str]) -> None:
        """``new_candidate``: forwarded to the peer (dropped while there is none: offer discarded)."""
        call = self.calls[call_uuid]
        target = call.peer or self._answering_for(call)
        if target is not None:
            target.member.send(SentEvent("new_candidate", dict(candidate)))

    def _answering_for(self, call: DirectCall) -> DirectCall | None:
        """While ``call`` answers an offer (not yet paired), the offerer is its peer-to-be."""
        if call.answer is None:
            return None
        for other in self.calls.values():
            if other is not call and other.idle:
                return other
        return None

    # --- tear-down --------------------------------------------------------------

    def close(self, call_uuid: str) -> None:
        """The call ended (``disconnect`` or its participant left): tell the peer."""
        call = self.calls.pop(call_uuid, None)
        if call is None:
            return
        if call.answer is not None and not call.answer.done():
            call.answer.set_exception(ApiError(403, "The other participant left"))
        peer = call.peer
        if peer is not None:
            # it hangs up and calls again: its old call must not be offered a newcomer
            peer.peer = None
            peer.restarting = True
            peer.member.send(SentEvent("peer_disconnect", {}))
            self._log.info("peer disconnected", extra={"context": {"call": peer.call_uuid}})

    def remove_member(self, participant_uuid: str) -> None:
        for call in [c for c in self.calls.values() if c.member.uuid == participant_uuid]:
            self.close(call.call_uuid)

    def reconcile(self) -> None:
        """Two calls waiting for each other (one left a waiting room): restart the later one.

        Both offers were discarded, so neither side can start; ``peer_disconnect``
        makes the later one call again, and its new offer is relayed.
        """
        idle = [c for c in self.calls.values() if c.idle and c.member.in_conference]
        if len(idle) == MAX_DIRECT_CALLS:
            later = idle[-1]
            later.restarting = True
            later.member.send(SentEvent("peer_disconnect", {}))

    def shutdown(self) -> None:
        for call in list(self.calls.values()):
            if call.answer is not None and not call.answer.done():
                call.answer.cancel()
        self.calls.clear()
