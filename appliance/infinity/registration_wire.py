"""The registration API on the wire (reference §3.8): its URL root, its grant, its refusals.

Split from :mod:`appliance.infinity.registration` so that module holds the
keep-alive loop alone; everything here is a pure function of one request
or answer, like :mod:`appliance.infinity.tokens` is for conference tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from yarl import URL

from appliance.infinity.errors import (
    InfinityError,
    InvalidCredentials,
    NotFound,
    error_for_status,
)
from appliance.infinity.http import Transport, envelope_reason, excerpt, parse_json, segment
from appliance.infinity.models import API_PREFIX, parse_flag
from appliance.infinity.tokens import token_lifetime, token_object

REGISTER: Final = "register the device"
# The directory is the collection itself (``GET registrations?q=``).
DIRECTORY_PATH: Final = ""


@dataclass(frozen=True, slots=True)
class RegistrationGrant:
    """A registration the node accepted. The token lives in the transport, never here."""

    registration_uuid: str
    expires: float
    directory_enabled: bool = False
    route_via_registrar: bool = False
    version_id: str | None = None


class RegistrationTransport(Transport):
    """The client's request core, rooted at ``registrations/{alias}`` instead of a conference."""

    @property
    def base_url(self) -> str:
        return f"{self.node_url}{API_PREFIX}/registrations/{segment(self.alias)}"

    def url(self, path: str) -> URL:
        if path == DIRECTORY_PATH:
            return URL(f"{self.node_url}{API_PREFIX}/registrations", encoded=True)
        return super().url(path)


def parse_grant(result: Any) -> tuple[RegistrationGrant, str]:
    """The grant and the token of a 200 ``request_token`` answer; the token becomes a secret at once."""
    result, token = token_object(result, REGISTER)
    expires = token_lifetime(result, REGISTER)
    version = result.get("version")
    version_id = version.get("version_id") if isinstance(version, Mapping) else None

    def flag(key: str) -> bool:
        try:
            return parse_flag(result[key]) if key in result else False
        except ValueError:
            return False

    grant = RegistrationGrant(
        registration_uuid=str(result.get("registration_uuid") or ""),
        expires=expires,
        directory_enabled=flag("directory_enabled"),
        route_via_registrar=flag("route_via_registrar"),
        version_id=str(version_id) if version_id is not None else None,
    )
    return grant, token


def refusal(status: int, raw: bytes, alias: str) -> InfinityError:
    """The typed error of a non-200 ``request_token`` answer."""
    parsed, ok = parse_json(raw)
    reason = envelope_reason(parsed) if ok else excerpt(raw)
    if status in (401, 403) and "maintenance" not in reason.lower():
        return InvalidCredentials(
            REGISTER,
            f"the node refused the user name or password for {alias!r} "
            "(check registration_password in the secrets file)",
            status=status,
            reason=reason,
        )
    if status == 404:
        return NotFound(
            REGISTER, f"the node has no device alias {alias!r} to register", status=status, reason=reason
        )
    return error_for_status(REGISTER, status, reason)
