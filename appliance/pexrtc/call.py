"""The vocabulary of one PexRTC call: where, what kind, with which settings, in which phase.

Shared by the asyncio core and the facade, and free of I/O so the
document's values (``call_type`` list, node address forms) can be checked
at the line of the application that passed them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from appliance.errors import ApplianceError
from appliance.media.call_type import CallType


class NotConnected(ApplianceError):
    """An operation needs a conference session (or a media call) that does not exist."""


# Call types that capture a camera or microphone before the call.
SENDING_CALL_TYPES: Final = frozenset(
    {CallType.VIDEO, CallType.AUDIOONLY, CallType.RECVONLYVIDEO, CallType.RTMP, CallType.STREAM}
)


class Phase(enum.StrEnum):
    IDLE = "idle"
    SETUP = "setup"  # onSetup delivered, waiting for connect()
    CONNECTED = "connected"
    CLOSED = "closed"


def node_url(node: str) -> str:
    """``makeCall``'s node → base URL: bare ``host[:port]`` is https, as pexrtc.js; URLs keep their scheme."""
    text = node.strip()
    if not text:
        raise ValueError("node: expected a host name, host:port or URL, found ''")
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"node: expected host, host:port, http:// or https:// URL, found {node!r}")
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class JoinSettings:
    """What one ``make_call`` needs beyond the call's node/alias/name."""

    call_tag: str | None = None
    client_id: str | None = "PexRTC"
    bandwidth_in: int = 1280
    bandwidth_out: int = 1280
    fecc_supported: bool = False
