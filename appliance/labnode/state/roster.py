"""One roster entry of the lab node: the wire participant plus what only the node knows.

:class:`Member` wraps the shared :class:`~appliance.infinity.models.Participant`
(so the wire encoding is always ``Participant.to_wire``) and adds the
node's private state: open event streams, media calls, whether it is a
client, a bot or a simulated dial-out, and what it has been sent (so
``layout`` and ``splash_screen`` go out only when they change).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from appliance.infinity.models import Participant, Role, ServiceType
from appliance.labnode.state.events import EventOutbox, SentEvent, close_all, send_to


class Kind(enum.StrEnum):
    CLIENT = "client"
    BOT = "bot"
    DIAL_OUT = "dial_out"


class Waiting(enum.StrEnum):
    """Why a participant sits in ``waiting_room``."""

    LOCKED = "locked"
    FOR_HOST = "for_host"


_UNSENT: Any = object()


@dataclass(eq=False)
class Member:
    participant: Participant
    kind: Kind = Kind.CLIENT
    waiting: Waiting | None = None
    streams: list[EventOutbox] = field(default_factory=list)
    calls: set[str] = field(default_factory=set)
    # Calls that ended (by the node or the far end): a late ``calls/{c}/disconnect``
    # for one of them is answered 200, as the client's intent is already met.
    ended_calls: set[str] = field(default_factory=set)
    speaking: bool = False
    aspect_ratio: float | None = None
    # What a simulated participant "received": the node has no far end to
    # hand DTMF or FECC to, so it keeps them where tests can see them.
    dtmf_received: list[str] = field(default_factory=list)
    fecc_received: list[dict[str, Any]] = field(default_factory=list)
    # DTMF this participant sent into its own call (``calls/{c}/dtmf``).
    dtmf_sent: list[str] = field(default_factory=list)
    last_layout: Any = _UNSENT
    last_splash: Any = _UNSENT
    gone: bool = False
    # granted direct media (room and request_token both say so): calls are relayed
    direct_media: bool = False
    # muted by a Host (or by "mute guests"), not by itself: while the room's
    # guests_can_unmute is false a Guest may not lift it (state/muting.py)
    muted_by_host: bool = False

    @property
    def uuid(self) -> str:
        return self.participant.uuid

    @property
    def is_host(self) -> bool:
        return self.participant.role is Role.HOST

    @property
    def in_conference(self) -> bool:
        return self.participant.service_type == ServiceType.CONFERENCE.value

    @property
    def has_media(self) -> bool:
        return self.participant.has_media

    def send(self, event: SentEvent) -> None:
        send_to(self.streams, event)

    def close_streams(self, *, abrupt: bool = False) -> None:
        close_all(self.streams, abrupt=abrupt)
