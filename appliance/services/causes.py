"""Why a call ended, told apart: the rejoin policy and the counters are keyed by it.

PexRTC reports the end of a call two ways: ``onDisconnect(reason)`` when the
node sends ``disconnect`` (an administrator, a Host, the meeting ending, a
lapsed token) and ``onError(message)`` when the session failed (network,
refused token, refused admission, media). The node's reason is free text,
so the few phrasings Infinity uses are matched here, in one place; errors
are matched by type (docs/daemon.md, "Causes").
"""

from __future__ import annotations

from appliance.errors import MediaError
from appliance.infinity.errors import (
    CertificateRejected,
    ConferenceLocked,
    ConferenceNotFound,
    InvalidPin,
    InvalidToken,
    JoinRefused,
    NodeInMaintenance,
    RequestRefused,
)
from appliance.services.room_api import DisconnectCause, ErrorKind

# Lower-case fragments of Infinity's disconnect reasons for a meeting that ended
# (disconnectAll, the last Host left, a Host's DTMF end command).
_ENDED = ("terminated", "ended the conference", "hosts departed", "conference has ended")
# A token that lapsed: the node no longer knows our session.
_TOKEN = ("timer expired", "token")


def cause_of_disconnect(reason: str) -> DisconnectCause:
    """The cause behind a node's ``disconnect`` event reason."""
    text = reason.lower()
    if "transfer" in text:
        return DisconnectCause.TRANSFER
    if any(fragment in text for fragment in _ENDED):
        return DisconnectCause.ENDED
    if any(fragment in text for fragment in _TOKEN):
        return DisconnectCause.NODE_RESTART
    return DisconnectCause.ADMIN


def cause_of_error(error: Exception | None, message: str) -> DisconnectCause:
    """The cause behind ``onError``: the typed error when the core kept one, else the text."""
    if isinstance(error, (InvalidToken, NodeInMaintenance)):
        return DisconnectCause.NODE_RESTART
    if isinstance(error, (InvalidPin, ConferenceLocked, JoinRefused, ConferenceNotFound, RequestRefused)):
        return DisconnectCause.REFUSED
    if isinstance(error, MediaError) or message.startswith("Media failed"):
        return DisconnectCause.MEDIA
    return DisconnectCause.NETWORK


def error_kind(error: Exception | None, cause: DisconnectCause, message: str = "") -> ErrorKind:
    """What the kiosk explains for a failed join."""
    if isinstance(error, CertificateRejected):
        return ErrorKind.CERTIFICATE
    if message.startswith("Could not access camera or microphone"):
        return ErrorKind.CAMERA_MISSING
    if isinstance(error, InvalidPin):
        return ErrorKind.WRONG_PIN
    if isinstance(error, ConferenceLocked):
        return ErrorKind.LOCKED
    if cause is DisconnectCause.ENDED:
        return ErrorKind.MEETING_ENDED
    if cause is DisconnectCause.REFUSED:
        return ErrorKind.REFUSED
    if cause is DisconnectCause.MEDIA:
        return ErrorKind.DEVICE
    return ErrorKind.NODE_UNREACHABLE
