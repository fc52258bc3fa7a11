"""Who may mute and unmute whom (``participants/{uuid}/mute`` and ``/unmute``, reference §3.2).

``@pexip/infinity``'s ``mute()`` sends these for the local participant (it
defaults to the caller's own UUID), so any participant may mute and unmute
itself; a Host may mute or unmute anyone. The one refusal a participant
meets on itself: a Guest lifting a mute a Host put on it (directly or with
"mute guests") while the conference's ``guests_can_unmute`` is false, as
Infinity does (docs/labnode.md, "Behaviour worth knowing").
"""

from __future__ import annotations

from typing import Final

from appliance.labnode.state.conference import NodeConference
from appliance.labnode.state.refusals import HOST_REQUIRED, ApiError
from appliance.labnode.state.roster import Member

HOST_MUTED: Final = "Operation not permitted: muted by a Host, and Guests may not unmute themselves"


def mute(conference: NodeConference, actor: Member, target: Member) -> None:
    """``actor`` mutes ``target``: itself, or anyone when a Host."""
    if target is not actor and not actor.is_host:
        raise ApiError(403, HOST_REQUIRED)
    if target is not actor:
        target.muted_by_host = True
    conference.update(target, is_muted=True)


def unmute(conference: NodeConference, actor: Member, target: Member) -> None:
    """``actor`` unmutes ``target``: a Host anyone, a Guest itself unless a Host's mute holds it."""
    if not actor.is_host:
        if target is not actor:
            raise ApiError(403, HOST_REQUIRED)
        if target.muted_by_host and not conference.guests_can_unmute:
            raise ApiError(403, HOST_MUTED)
    target.muted_by_host = False
    conference.update(target, is_muted=False)
