"""Media faults the lab node can inject into one peer connection (``NodeControl``).

Two failures a room system meets in the field and must recover from by
itself (docs/daemon.md, "Recovery ladder"):

* **stop sending**: the node's media stops while the connection stays up —
  every sender's track is swapped for one that never yields a frame, so no
  RTP leaves, while ICE consent, DTLS and RTCP carry on;
* **black hole**: the path dies — every datagram of the connection's ICE
  sockets is dropped both ways, so consent fails on both ends, as when a
  NAT binding or a firewall drops the flow.

Both reach into aiortc and aioice objects (senders, the ICE connection's
STUN protocols) that have no public switch for this; they exist for tests.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack

FAULTS: Final = ("stop-sending", "black-hole")


class _SilentTrack(MediaStreamTrack):
    """A track whose ``recv`` waits for ever: the sender's RTP loop simply stops sending."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._never = asyncio.Event()

    async def recv(self) -> Any:
        await self._never.wait()


class _DroppingTransport:
    """A datagram transport that sends nothing; closing still closes the real socket."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def sendto(self, data: bytes, addr: Any = None) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _drop(data: bytes, addr: Any) -> None:
    return None


def impair(pc: RTCPeerConnection, fault: str) -> None:
    if fault not in FAULTS:
        raise ValueError(f"fault: expected one of {', '.join(FAULTS)}, found {fault!r}")
    if fault == "stop-sending":
        for sender in pc.getSenders():
            if sender.track is not None:
                sender.replaceTrack(_SilentTrack(sender.track.kind))
        return
    seen: set[int] = set()
    for transceiver in pc.getTransceivers():
        dtls = transceiver.sender.transport
        connection = getattr(getattr(dtls, "transport", None), "_connection", None)
        if connection is None or id(connection) in seen:
            continue
        seen.add(id(connection))
        for protocol in connection._protocols:
            protocol.transport = _DroppingTransport(protocol.transport)
            protocol.datagram_received = _drop
