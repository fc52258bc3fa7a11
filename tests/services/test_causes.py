"""Why a call ended, told apart from the node's words and the client's typed errors."""

from __future__ import annotations

import pytest

from appliance.infinity.errors import (
    CertificateRejected,
    ConferenceLocked,
    InvalidPin,
    InvalidToken,
    NodeInMaintenance,
    NodeUnreachable,
)
from appliance.services.causes import cause_of_disconnect, cause_of_error, error_kind
from appliance.services.room_api import DisconnectCause, ErrorKind


@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        ("Disconnected by an administrator", DisconnectCause.ADMIN),
        ("Disconnected by another participant", DisconnectCause.ADMIN),
        ("Conference terminated by another participant", DisconnectCause.ENDED),
        ("All conference hosts departed hosted conference", DisconnectCause.ENDED),
        ("Timer expired awaiting token refresh", DisconnectCause.NODE_RESTART),
        ("Call transferred", DisconnectCause.TRANSFER),
    ],
)
def test_causes_node_disconnect_reasons(reason: str, cause: DisconnectCause) -> None:
    assert cause_of_disconnect(reason) is cause


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (InvalidToken("refresh", "gone"), DisconnectCause.NODE_RESTART),
        (NodeInMaintenance("join", "503"), DisconnectCause.NODE_RESTART),
        (NodeUnreachable("join", "refused"), DisconnectCause.NETWORK),
        (ConferenceLocked("join", "locked"), DisconnectCause.REFUSED),
        (InvalidPin("join", "wrong"), DisconnectCause.REFUSED),
    ],
)
def test_causes_typed_errors(error: Exception, cause: DisconnectCause) -> None:
    assert cause_of_error(error, str(error)) is cause


def test_causes_media_failure_without_a_typed_error() -> None:
    assert cause_of_error(None, "Media failed: ICE or DTLS failure") is DisconnectCause.MEDIA


def test_causes_certificate_is_explained_as_such() -> None:
    error = CertificateRejected("join", "self-signed")
    assert error_kind(error, cause_of_error(error, "")) is ErrorKind.CERTIFICATE


def test_causes_missing_camera_is_explained_as_such() -> None:
    message = "Could not access camera or microphone: /dev/video0 is missing"
    assert error_kind(None, DisconnectCause.MEDIA, message) is ErrorKind.CAMERA_MISSING
