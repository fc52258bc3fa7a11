"""What the media engine needs from the Infinity client, as a small protocol.

The engine must not depend on the client's classes, only on their shape:
``appliance.infinity.calls.CallControl`` (``session.calls``) satisfies
:class:`CallSignalling` as it is, and a test or the lab-node demo can pass
any other object with these coroutines. Paths are the call-level endpoints
of reference §3.3 and §4.1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class CallAnswerLike(Protocol):
    """The ``POST participants/{p}/calls`` result (``CallInfo`` in the client)."""

    @property
    def call_uuid(self) -> str: ...
    @property
    def sdp(self) -> str: ...
    @property
    def offer_ignored(self) -> bool: ...
    @property
    def turn(self) -> Sequence[Mapping[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class CallAnswer:
    """A plain :class:`CallAnswerLike`, for signalling that is not the Infinity client."""

    call_uuid: str
    sdp: str = ""
    offer_ignored: bool = False
    turn: Sequence[Mapping[str, Any]] = field(default=())


def awaits_node_offer(answer: CallAnswerLike) -> bool:
    """Direct media: the node discarded our offer (or sent none back) and will send its own."""
    return answer.offer_ignored or not answer.sdp


class CallSignalling(Protocol):
    """Call-level signalling towards the node for our own participant."""

    async def create_call(
        self, sdp: str, *, present: str | None = None, media_type: str = "video"
    ) -> CallAnswerLike:
        """``POST participants/{self}/calls`` (``call_type`` WEBRTC)."""
        ...

    async def ack(self, call_uuid: str, sdp: str | None = None) -> None:
        """``POST calls/{c}/ack``; ``sdp`` carries our answer to a node offer (direct media)."""
        ...

    async def new_candidate(
        self,
        call_uuid: str,
        candidate: str,
        mid: str | None,
        ufrag: str | None = None,
        pwd: str | None = None,
    ) -> None:
        """``POST calls/{c}/new_candidate``; ``candidate=""`` ends gathering for ``mid``."""
        ...

    async def update(self, call_uuid: str, sdp: str) -> str:
        """``POST calls/{c}/update`` with a new offer; returns the answer SDP."""
        ...

    async def disconnect_call(self, call_uuid: str) -> None:
        """``POST calls/{c}/disconnect``: drop media, stay in the roster."""
        ...
