"""Typed failures of the Infinity client, and the mapping from what the node said.

A person standing in front of a room system reads these messages (the CLI
and the UI show them), so each one names the operation that failed and the
reason in plain words: "lock the conference: this needs Host rights" rather
than "403". Builtin co-parents (``ConnectionError``, ``TimeoutError``,
``PermissionError``, ``LookupError``, ``ValueError``) keep generic handlers
working. No message ever contains a token or a PIN: reasons copied from the
node pass through :func:`appliance.log.redact` first.
"""

from __future__ import annotations

from appliance.errors import ConfigError, InfinityError
from appliance.log import redact

__all__ = [
    "BadRequest",
    "CaFileUnreadable",
    "CertificateRejected",
    "ConferenceLocked",
    "ConferenceNotFound",
    "EventStreamLost",
    "ExtensionNotFound",
    "FloorRefused",
    "InfinityError",
    "InvalidCredentials",
    "InvalidPin",
    "InvalidToken",
    "JoinRefused",
    "NodeInMaintenance",
    "NodeUnreachable",
    "NotANode",
    "NotFound",
    "NotHost",
    "ProtocolError",
    "RequestRefused",
    "RequestTimeout",
    "ServerError",
    "SessionClosed",
    "TokenExpired",
    "error_for_status",
]


class _OperationError(InfinityError):
    """Carries the operation, HTTP status and node reason as attributes."""

    def __init__(
        self,
        operation: str,
        why: str,
        *,
        status: int | None = None,
        reason: str | None = None,
    ) -> None:
        self.operation = operation
        self.status = status
        self.reason = redact(reason) if reason is not None else None
        super().__init__(redact(f"{operation}: {why}"))


class NodeUnreachable(_OperationError, ConnectionError):
    """The node could not be reached (DNS, TCP, TLS, reset, retries exhausted)."""


class CertificateRejected(NodeUnreachable):
    """The node's TLS certificate did not verify (wrong CA file, self-signed, wrong name)."""


class CaFileUnreadable(ConfigError, InfinityError):
    """The CA file given to verify the node (``ca_file``) cannot be read or holds no certificate.

    A configuration error, raised before any request and never retried: the
    file must be fixed, so the message names it and says what is wrong.
    """

    def __init__(self, path: str, why: str) -> None:
        super().__init__(
            f"ca_file {path}: {why}",
            file=path,
            key="ca_file",
            expected="a readable PEM file of CA certificates",
            found=why,
        )


class RequestTimeout(_OperationError, TimeoutError):
    """The node accepted the connection but did not answer in time."""


class ProtocolError(_OperationError, ValueError):
    """The node answered something this client cannot read (not JSON, wrong types)."""


class NotANode(ProtocolError):
    """The address answers HTTP but is not a Pexip Infinity Conferencing Node."""


class ServerError(_OperationError):
    """The node failed on its side (5xx)."""


class NodeInMaintenance(ServerError):
    """The node is in maintenance mode or out of service (503)."""


class RequestRefused(_OperationError, PermissionError):
    """The node refused the request (403) for the reason in ``reason``."""


class InvalidToken(RequestRefused):
    """The session token is no longer valid: the node has dropped this participant."""


class TokenExpired(InvalidToken):
    """Refreshing failed until the token's lifetime ran out."""


class InvalidPin(RequestRefused):
    """The PIN was wrong."""


class InvalidCredentials(RequestRefused):
    """A device registration was refused: wrong user name or password for the alias.

    Retrying cannot fix it until someone edits the secrets file, so the
    registration retries slowly (docs/being-called.md).
    """


class ConferenceLocked(RequestRefused):
    """The conference is locked against new participants."""


class NotHost(RequestRefused):
    """The operation needs Host rights and this participant is a Guest."""


class JoinRefused(RequestRefused):
    """``request_token`` was refused for a reason other than PIN, SSO or extension."""


class FloorRefused(RequestRefused):
    """The node would not let this participant present."""


class NotFound(_OperationError, LookupError):
    """A participant, call or resource the request named does not exist (404)."""


class ConferenceNotFound(NotFound):
    """No conference (or gateway rule) matches the alias."""


class ExtensionNotFound(ConferenceNotFound):
    """The extension typed at a Virtual Reception matches no conference."""


class BadRequest(_OperationError, ValueError):
    """The node rejected the parameters (400)."""


class SessionClosed(_OperationError):
    """The session has no valid token: not joined yet, released, or failed."""


class EventStreamLost(_OperationError, ConnectionError):
    """The event stream stayed down longer than the reconnect policy allows."""


def _reason_words(reason: str) -> str:
    return reason.strip().rstrip(".") or "no reason given"


def error_for_status(operation: str, status: int, reason: str | None) -> InfinityError:
    """Turn a non-success HTTP answer into the exception a user can act on.

    ``reason`` is the envelope's ``result`` string (or the bare body). Its
    wording decides between the 403 cases because the node uses one status
    for a dead token, a wrong PIN, a locked conference and a missing role.
    """
    text = reason or ""
    low = text.lower()
    if status == 403:
        if "maintenance" in low:
            # "System in maintenance mode" (#pex110) comes as a 403 too: the
            # node, not the request, is the problem, and retrying later helps.
            return NodeInMaintenance(
                operation,
                f"the node is in maintenance mode ({_reason_words(text)})",
                status=status,
                reason=text,
            )
        if "invalid token" in low or "token refresh" in low or "expired" in low:
            return InvalidToken(
                operation, "the session token is invalid or expired", status=status, reason=text
            )
        if "invalid pin" in low or ("pin" in low and "retr" in low):
            return InvalidPin(operation, "the PIN is wrong", status=status, reason=text)
        if "lock" in low:
            return ConferenceLocked(operation, "the conference is locked", status=status, reason=text)
        if "role" in low or "host" in low or "chair" in low or "permission" in low:
            return NotHost(
                operation, f"this needs Host rights ({_reason_words(text)})", status=status, reason=text
            )
        return RequestRefused(
            operation, f"refused by the node: {_reason_words(text)}", status=status, reason=text
        )
    if status == 404:
        return NotFound(operation, f"not found ({_reason_words(text)})", status=status, reason=text)
    if status == 400:
        return BadRequest(operation, f"bad request: {_reason_words(text)}", status=status, reason=text)
    if status == 401:
        return RequestRefused(
            operation,
            "a proxy in front of the node asks for HTTP authentication",
            status=status,
            reason=text,
        )
    if status == 503:
        return NodeInMaintenance(
            operation,
            f"the node is in maintenance or unavailable ({_reason_words(text)})",
            status=status,
            reason=text,
        )
    if status >= 500:
        return ServerError(
            operation, f"the node failed (HTTP {status}: {_reason_words(text)})", status=status, reason=text
        )
    return ProtocolError(
        operation, f"unexpected HTTP {status} ({_reason_words(text)})", status=status, reason=text
    )
