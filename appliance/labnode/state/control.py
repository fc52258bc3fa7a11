"""Fault injection for the lab node: what goes wrong with a real node, on demand.

Clients must survive a node restart, a dropped event stream, a token that
stops working, a node that refuses tokens for a while, media that stops
or a media path that goes dead, and being kicked. This handle makes each of those happen at
a moment a test chooses (or holds a join half-way), through the same code paths the node uses on its
own (the reaper, ``disconnect``), so what a client sees is what it would
see from Infinity.
"""

from __future__ import annotations

import time

from appliance.labnode.state.events import SentEvent
from appliance.labnode.state.node import NodeState

KICK_REASON = "Disconnected by an administrator"


class NodeControl:
    def __init__(self, state: NodeState) -> None:
        self._state = state

    async def restart(self) -> None:
        """Drop every participant, token, event stream and call without a word.

        Clients notice as they would a rebooted node: their streams break
        and their tokens are refused with 403 ``Invalid token``.
        """
        await self._state.restart()

    def cut_event_streams(self, participant_uuid: str | None = None) -> int:
        """Break open event streams (all, or one participant's); participants stay.

        Returns how many streams were cut.
        """
        count = 0
        for conference in self._state.conferences.values():
            for member in conference.members.values():
                if participant_uuid is None or member.uuid == participant_uuid:
                    count += len(member.streams)
                    member.close_streams(abrupt=True)
        return count

    def expire_token(self, participant_uuid: str) -> bool:
        """Make a participant's token lapse now; it is refused at once and reaped.

        Returns ``False`` when the participant has no token.
        """
        if not self._state.tokens.expire_participant(participant_uuid):
            return False
        self._state.reap()
        return True

    def kick(self, participant_uuid: str, reason: str = KICK_REASON) -> bool:
        """Disconnect a participant as an administrator would (``disconnect`` event)."""
        return self._state.kick(participant_uuid, reason)

    def request_token_refresh(self, participant_uuid: str) -> bool:
        """Send the node-initiated ``refresh_token`` event to a participant."""
        found = self._state.member_of(participant_uuid)
        if found is None:
            return False
        found[1].send(SentEvent("refresh_token"))
        return True

    def stop_media(self, participant_uuid: str) -> int:
        """Stop sending media to a participant while ICE stays up; returns the calls affected.

        What a client sees from a node whose media process stalled: the
        connection is fine, nothing arrives. A new call (ICE restart) gets media again.
        """
        return self._impair(participant_uuid, "stop-sending")

    def black_hole_media(self, participant_uuid: str) -> int:
        """Drop every packet of a participant's current media path, both ways (a dead NAT binding)."""
        return self._impair(participant_uuid, "black-hole")

    def refuse_tokens(self, seconds: float) -> None:
        """Answer ``request_token`` and ``refresh_token`` with 503 for ``seconds`` (a node coming up)."""
        self._state.tokens_refused_until = time.monotonic() + seconds

    def hold_calls(self, seconds: float) -> None:
        """Answer new media calls only after ``seconds`` (a busy media node): joins stay half-way.

        The participant has its token and has asked for its media call; a
        client stopped now is caught mid-join.
        """
        self._state.calls_held_until = time.monotonic() + seconds

    def _impair(self, participant_uuid: str, fault: str) -> int:
        found = self._state.member_of(participant_uuid)
        if found is None or found[0].hub is None:
            return 0
        return found[0].hub.impair(participant_uuid, fault)

    def reap(self) -> list[str]:
        """Run the token reaper now instead of waiting for its next pass."""
        return self._state.reap()
