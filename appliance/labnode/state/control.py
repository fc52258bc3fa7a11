"""Fault injection for the lab node: what goes wrong with a real node, on demand.

Clients must survive a node restart, a dropped event stream, a token that
stops working and being kicked. This handle makes each of those happen at
a moment a test chooses, through the same code paths the node uses on its
own (the reaper, ``disconnect``), so what a client sees is what it would
see from Infinity.
"""

from __future__ import annotations

from appliance.labnode.state.events import Event
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
        found[1].send(Event("refresh_token"))
        return True

    def reap(self) -> list[str]:
        """Run the token reaper now instead of waiting for its next pass."""
        return self._state.reap()
