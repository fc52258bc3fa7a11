"""The presentation floor of one conference and its stills.

One participant holds the floor at a time; taking it from someone else is
allowed (Infinity lets the newest presenter win) and the previous presenter
learns it from a ``presentation_start`` naming the new one, which is how
PexRTC and ``@pexip/infinity`` notice their share was stolen. Nobody is
told about their own share (reference §4.3: PexRTC stops its own share on
any ``presentation_start``).

Stills come from the media side (:meth:`new_still`); each gets a frame id
announced by ``presentation_frame`` with the id both as SSE ``id:`` and in
the data, and served by ``presentation.jpeg`` / ``presentation_high.jpeg``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from appliance.labnode.media_api import MediaHub
from appliance.labnode.state.events import SentEvent
from appliance.labnode.state.roster import Member


class Meeting(Protocol):
    """What the floor needs from its conference: the roster, announcements and the media."""

    @property
    def members(self) -> Mapping[str, Member]: ...

    @property
    def hub(self) -> MediaHub | None: ...

    def update(self, member: Member, **changes: Any) -> None: ...

    def broadcast(self, event: SentEvent, *, exclude: str | None = None) -> None: ...


class PresentationFloor:
    """Who holds a conference's presentation floor, and its stills (the client's side is
    :class:`appliance.pexrtc.presentation.Presentation`)."""

    def __init__(self, conference: Meeting) -> None:
        self._conference = conference
        self.presenter: str | None = None
        # reference §6: "video" for a slides-line share, "static" for JPEG presenting
        self.source = "video"
        self.frame_id = 0
        self.jpeg: bytes | None = None
        self.high_jpeg: bytes | None = None

    def start_body(self) -> dict[str, Any]:
        member = self._conference.members.get(self.presenter or "")
        if member is None:
            return {"presenter_name": "", "presenter_uri": "", "presenter_uuid": "", "presenter_source": ""}
        return {
            "presenter_name": member.participant.display_name,
            "presenter_uri": member.participant.uri,
            "presenter_uuid": member.uuid,
            "presenter_source": self.source,
        }

    def take(self, member: Member, *, jpegs: bool = False) -> None:
        """Give ``member`` the floor; ``jpegs`` is PexRTC's JPEG presenting (``take_floor {jpegs:true}``)."""
        conference = self._conference
        source = "static" if jpegs else "video"
        previous = conference.members.get(self.presenter or "")
        if previous is member and source == self.source:
            return
        self.source = source
        if previous is member:
            conference.broadcast(SentEvent("presentation_start", self.start_body()), exclude=member.uuid)
            return
        self.presenter = member.uuid
        self.jpeg = self.high_jpeg = None
        if previous is not None:
            conference.update(previous, is_presenting=False)
        conference.update(member, is_presenting=True)
        conference.broadcast(SentEvent("presentation_start", self.start_body()), exclude=member.uuid)
        if conference.hub is not None:
            conference.hub.set_presenter(member.uuid)

    def release(self, member: Member) -> bool:
        """End ``member``'s presentation; ``False`` when it did not hold the floor."""
        if self.presenter != member.uuid:
            return False
        conference = self._conference
        self.presenter = None
        self.source = "video"
        self.jpeg = self.high_jpeg = None
        if not member.gone:
            conference.update(member, is_presenting=False)
        conference.broadcast(SentEvent("presentation_stop"), exclude=member.uuid)
        if conference.hub is not None:
            conference.hub.set_presenter(None)
        return True

    def new_still(self, jpeg: bytes, high_jpeg: bytes) -> None:
        if self.presenter is None:
            return
        self.frame_id += 1
        self.jpeg, self.high_jpeg = jpeg, high_jpeg
        event = self.frame_event()
        assert event is not None
        self._conference.broadcast(event, exclude=self.presenter)

    def frame_event(self) -> SentEvent | None:
        """The ``presentation_frame`` for the current still, ``None`` before the first one."""
        if self.presenter is None or self.jpeg is None:
            return None
        frame = str(self.frame_id)
        return SentEvent("presentation_frame", {"id": frame}, id=frame)

    def still(self, *, high: bool) -> bytes | None:
        return self.high_jpeg if high else self.jpeg
