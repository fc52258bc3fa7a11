"""What ``request_token`` and ``refresh_token`` answer, read into typed values. No I/O.

``request_token`` has six answers that matter to a user, and the node
tells them apart only by the keys of a 403 body (no type tag, §2.1): a
grant, "PIN needed" (required or optional), "wrong PIN" (two forms,
depending on the server version), "choose an identity provider", "go to
the SSO page", "type the extension" (Virtual Reception). The challenges
are returned as values (the caller asks the user and tries again, as
PexRTC's ``onSetup``); the failures are raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from appliance.infinity.errors import (
    ConferenceNotFound,
    ExtensionNotFound,
    InvalidPin,
    JoinRefused,
    NotANode,
    ProtocolError,
    RequestRefused,
    error_for_status,
)
from appliance.infinity.http import decode_response, envelope_reason, excerpt, parse_json
from appliance.infinity.models import PinStatus, Role, parse_expires, parse_flag
from appliance.log import register_secret

JOIN = "join the conference"
REFRESH = "keep the session alive"


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """A successful join. The token itself lives in the transport, never here."""

    participant_uuid: str
    display_name: str
    role: Role
    expires: float
    service_type: str | None = None
    current_service_type: str | None = None
    conference_name: str | None = None
    version_id: str | None = None
    pseudo_version: str | None = None
    chat_enabled: bool = True
    fecc_enabled: bool = False
    guests_can_present: bool = True
    call_type: str | None = None
    direct_media: bool = False
    pex_datachannel_id: int | None = None
    stun: tuple[Mapping[str, Any], ...] = ()
    turn: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)
    use_relay_candidates_only: bool = False
    bandwidth_in: int | None = None
    bandwidth_out: int | None = None
    client_stats_update_interval: int | None = None
    trickle_ice_enabled: bool = False
    breakout_rooms: bool = False
    live_captions_available: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class RefreshResult:
    expires: float
    role: Role | None = None
    client_stats_update_interval: int | None = None


@dataclass(frozen=True, slots=True)
class PinRequired:
    """A PIN is needed (``required``), or only Hosts need one (``optional``)."""

    pin_status: PinStatus
    host_pin_required: bool = True
    guest_pin_required: bool = True
    # §2.1: the PIN object may also say the alias is a reception of this kind.
    conference_extension: str | None = None


@dataclass(frozen=True, slots=True)
class ExtensionRequired:
    """Virtual Reception: ask for the target conference and retry with it."""

    kind: str = "standard"


@dataclass(frozen=True, slots=True)
class IdentityProvider:
    uuid: str
    name: str
    img: str | None = None
    disable_popup_flow: bool = False


@dataclass(frozen=True, slots=True)
class IdentityProviderRequired:
    providers: tuple[IdentityProvider, ...]


@dataclass(frozen=True, slots=True)
class SsoRedirectRequired:
    redirect_url: str
    # Empty uuid/name when the node did not name the provider.
    idp: IdentityProvider
    disable_popup_flow: bool = False


JoinOutcome = TokenGrant | PinRequired | ExtensionRequired | IdentityProviderRequired | SsoRedirectRequired


def _opt_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _flag(result: Mapping[str, Any], key: str, default: bool) -> bool:
    try:
        return parse_flag(result[key]) if key in result else default
    except ValueError:
        return default


def _servers(value: Any) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(value, list):
        return ()
    return tuple(dict(s) for s in value if isinstance(s, Mapping))


def token_object(result: Any, operation: str) -> tuple[Mapping[str, Any], str]:
    """A token answer (conference or registration, request or refresh): the object and its token.

    The token is registered as a secret before anything else can see it.
    """
    if not isinstance(result, Mapping):
        raise ProtocolError(operation, f"expected the token object, found {type(result).__name__}")
    token = result.get("token")
    if not isinstance(token, str) or not token:
        raise ProtocolError(operation, "the node's answer has no token")
    register_secret(token)
    return result, token


def token_lifetime(result: Mapping[str, Any], operation: str) -> float:
    """The ``expires`` of a token answer, in seconds; a malformed one is a :class:`ProtocolError`."""
    try:
        return parse_expires(result.get("expires"))
    except ValueError as exc:
        raise ProtocolError(operation, str(exc)) from None


def parse_grant(result: Any) -> tuple[TokenGrant, str]:
    """The grant and the token (kept apart so the token never sits in a dataclass)."""
    result, token = token_object(result, JOIN)
    uuid = result.get("participant_uuid")
    if not isinstance(uuid, str) or not uuid:
        raise ProtocolError(JOIN, "the node's answer has no participant_uuid")
    try:
        expires = parse_expires(result.get("expires"))
        role = Role.parse(result.get("role", "GUEST"))
    except ValueError as exc:
        raise ProtocolError(JOIN, str(exc)) from None
    version = result.get("version")
    version = version if isinstance(version, Mapping) else {}
    grant = TokenGrant(
        participant_uuid=uuid,
        display_name=str(result.get("display_name") or ""),
        role=role,
        expires=expires,
        service_type=_opt_str(result.get("service_type")),
        current_service_type=_opt_str(result.get("current_service_type"))
        or _opt_str(result.get("service_type")),
        conference_name=_opt_str(result.get("conference_name")),
        version_id=str(version["version_id"]) if version.get("version_id") is not None else None,
        pseudo_version=str(version["pseudo_version"]) if version.get("pseudo_version") is not None else None,
        chat_enabled=_flag(result, "chat_enabled", True),
        fecc_enabled=_flag(result, "fecc_enabled", False),
        guests_can_present=_flag(result, "guests_can_present", True),
        call_type=_opt_str(result.get("call_type")),
        direct_media=_flag(result, "direct_media", False),
        pex_datachannel_id=_opt_int(result.get("pex_datachannel_id")),
        stun=_servers(result.get("stun")),
        turn=_servers(result.get("turn")),
        use_relay_candidates_only=_flag(result, "use_relay_candidates_only", False),
        bandwidth_in=_opt_int(result.get("bandwidth_in")),
        bandwidth_out=_opt_int(result.get("bandwidth_out")),
        client_stats_update_interval=_opt_int(result.get("client_stats_update_interval")),
        trickle_ice_enabled=_flag(result, "trickle_ice_enabled", False),
        breakout_rooms=_flag(result, "breakout_rooms", False),
        live_captions_available=_flag(result, "live_captions_available", False),
        raw={k: v for k, v in result.items() if k != "token"},
    )
    return grant, token


def parse_refresh(result: Any) -> tuple[RefreshResult, str]:
    result, token = token_object(result, REFRESH)
    expires = token_lifetime(result, REFRESH)
    try:
        role = Role.parse(result["role"]) if result.get("role") else None
    except ValueError as exc:
        raise ProtocolError(REFRESH, str(exc)) from None
    return (
        RefreshResult(
            expires=expires,
            role=role,
            client_stats_update_interval=_opt_int(result.get("client_stats_update_interval")),
        ),
        token,
    )


def _provider(data: Any) -> IdentityProvider:
    if not isinstance(data, Mapping) or not isinstance(data.get("uuid"), str):
        raise ProtocolError(JOIN, "an identity provider has no uuid")
    return IdentityProvider(
        uuid=data["uuid"],
        name=str(data.get("name") or ""),
        img=_opt_str(data.get("img")),
        disable_popup_flow=_flag(data, "disable_popup_flow", False),
    )


def _challenge(result: Mapping[str, Any], *, pin_sent: bool) -> JoinOutcome:
    if isinstance(result.get("idp"), list):
        return IdentityProviderRequired(providers=tuple(_provider(p) for p in result["idp"]))
    if isinstance(result.get("redirect_url"), str):
        idp = result.get("redirect_idp")
        return SsoRedirectRequired(
            redirect_url=result["redirect_url"],
            idp=_provider(idp) if isinstance(idp, Mapping) else IdentityProvider(uuid="", name=""),
            disable_popup_flow=_flag(result, "disable_popup_flow", False),
        )
    if "pin" in result or "guest_pin" in result:
        if pin_sent:
            # Same PIN object again although we sent one: the PIN was wrong (S).
            raise InvalidPin(JOIN, "the PIN is wrong", status=403, reason="Invalid PIN")
        host = str(result.get("pin", "required")).lower() == "required"
        guest = str(result.get("guest_pin", "required")).lower() == "required"
        extension = result.get("conference_extension")
        return PinRequired(
            pin_status=PinStatus.REQUIRED if guest else PinStatus.OPTIONAL,
            host_pin_required=host,
            guest_pin_required=guest,
            conference_extension=extension if extension in ("standard", "mssip") else None,
        )
    if result.get("conference_extension") == "required" or "conference_extension_type" in result:
        kind = result.get("conference_extension_type") or "standard"
        return ExtensionRequired(kind=str(kind))
    raise ProtocolError(JOIN, "the node refused with an object this client does not know")


def interpret_request_token(
    status: int, raw: bytes, *, pin_sent: bool, extension_sent: bool
) -> tuple[JoinOutcome, str | None]:
    """Map one ``request_token`` answer to its outcome (and the token on a grant), or raise."""
    if status == 200:
        return parse_grant(decode_response(JOIN, status, raw))
    parsed, ok = parse_json(raw)
    if status == 403 and ok:
        result = parsed.get("result") if isinstance(parsed, Mapping) else parsed
        if isinstance(result, Mapping):
            return _challenge(result, pin_sent=pin_sent), None
        if isinstance(result, str):
            error = error_for_status(JOIN, 403, result)
            if type(error) is RequestRefused:
                raise JoinRefused(JOIN, f"refused by the node: {result}", status=403, reason=result)
            raise error
    if status == 404:
        if not ok:
            raise NotANode(
                JOIN, f"the address is not a Pexip Infinity Conferencing Node ({excerpt(raw)!r})", status=404
            )
        reason = envelope_reason(parsed)
        if extension_sent:
            raise ExtensionNotFound(JOIN, "no conference has that extension", status=404, reason=reason)
        raise ConferenceNotFound(JOIN, "no conference has that address", status=404, reason=reason)
    raise error_for_status(JOIN, status, envelope_reason(parsed) if ok else excerpt(raw))
