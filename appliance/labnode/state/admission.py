"""Who may join, and as what: PIN, Virtual Reception, SSO and one-time tokens.

``request_token`` is a small dialogue. The node answers 403 with an object
that tells the client what to ask its user for (a PIN, an extension, an
identity provider), the client retries with the answer, and only the final
request is admitted. Those challenge objects carry ``status: "success"``
(PexRTC ignores them otherwise) and ``version``; a wrong PIN is
``403 {status: "failed", result: "Invalid PIN"}`` (reference §13).

:func:`decide` is that dialogue for one request: it returns the
conference and role to admit with, or raises the :class:`ApiError` the
client must see. It never echoes a PIN or a token in any message.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from appliance.infinity.models import Role
from appliance.labnode.state.conference import NodeConference
from appliance.labnode.state.node import VERSION, NodeState
from appliance.labnode.state.refusals import INVALID_TOKEN, NOT_FOUND, ApiError, field_bool, field_str
from appliance.labnode.state.rooms import IdentityProvider
from appliance.labnode.state.sso import login_url

INVALID_PIN = "Invalid PIN"
SSO_FAILED = "SSO Authentication Failed"


@dataclass(frozen=True, slots=True)
class JoinRequest:
    display_name: str
    pin: str | None = None
    call_tag: str = ""
    conference_extension: str = ""
    chosen_idp: str = ""
    sso_token: str = ""
    sso_redirect_target: str = ""
    one_time_token: str = ""
    direct_media: bool = False
    client_id: str = ""

    @classmethod
    def parse(cls, body: dict[str, Any], pin_header: str | None) -> JoinRequest:
        def optional(name: str) -> str:
            value = field_str(body, name, default="")
            # PexRTC sends the literal "none" for unset chosen_idp/sso_token.
            return "" if value == "none" else value

        display_name = field_str(body, "display_name").strip()
        if not display_name:
            raise ApiError(400, "Field display_name: expected a non-empty name")
        return cls(
            display_name=display_name,
            pin=pin_header,
            call_tag=field_str(body, "call_tag", default=""),
            conference_extension=field_str(body, "conference_extension", default="").strip(),
            chosen_idp=optional("chosen_idp"),
            sso_token=optional("sso_token"),
            sso_redirect_target=field_str(body, "sso_redirect_target", default=""),
            one_time_token=optional("token"),
            direct_media=field_bool(body, "direct_media", default=False),
            client_id=field_str(body, "client_id", default=""),
        )


@dataclass(frozen=True, slots=True)
class Admission:
    conference: NodeConference
    role: Role
    # The alias the client addressed when it differs from the room's own
    # (a Virtual Reception): its token must keep working there.
    via: str | None = None
    idp: IdentityProvider | None = None
    # Brought in by a Host (a transfer's one-time token): a lock does not hold it.
    invited: bool = False


def decide(state: NodeState, alias: str, join: JoinRequest, base_url: str) -> Admission:
    conference = state.conference(alias)
    state.check_tokens_accepted()
    via: str | None = None
    if join.one_time_token:
        return _redeem(state, conference, join.one_time_token)
    if conference.room.reception:
        if not join.conference_extension:
            raise ApiError(
                403,
                {"conference_extension": "required", "conference_extension_type": "standard"},
                status_word="success",
            )
        target = state.find(join.conference_extension)
        if target is None or target.room.reception:
            raise ApiError(404, NOT_FOUND)
        conference, via = target, alias
    room = conference.room
    idp: IdentityProvider | None = None
    role = Role.HOST
    if room.identity_providers:
        idp = _single_sign_on(state, conference, join, alias, base_url)
    if room.host_pin is not None:
        role = _check_pin(conference, join.pin)
    return Admission(conference=conference, role=role, via=via, idp=idp)


def _redeem(state: NodeState, conference: NodeConference, value: str) -> Admission:
    grant = state.tokens.redeem(value)
    if grant is None or state.find(grant.alias) is not conference:
        raise ApiError(403, INVALID_TOKEN)
    idp = next((p for p in conference.room.identity_providers if p.uuid == grant.idp_uuid), None)
    return Admission(conference=conference, role=grant.role, idp=idp, invited=not grant.idp_uuid)


def _single_sign_on(
    state: NodeState, conference: NodeConference, join: JoinRequest, alias: str, base_url: str
) -> IdentityProvider:
    providers = conference.room.identity_providers
    if join.sso_token:
        grant = state.tokens.redeem(join.sso_token)
        idp = next((p for p in providers if grant is not None and p.uuid == grant.idp_uuid), None)
        if grant is None or idp is None or state.find(grant.alias) is not conference:
            raise ApiError(403, SSO_FAILED)
        return idp
    if join.chosen_idp:
        idp = next((p for p in providers if p.uuid == join.chosen_idp), None)
        if idp is None:
            raise ApiError(403, SSO_FAILED)
        url = login_url(base_url, idp, conference.room.alias, join.display_name, join.sso_redirect_target)
        raise ApiError(
            403,
            {
                "redirect_url": url,
                "redirect_idp": {"uuid": idp.uuid, "name": idp.name},
                "disable_popup_flow": False,
                "version": dict(VERSION),
            },
            status_word="success",
        )
    raise ApiError(
        403,
        {"idp": [{"uuid": p.uuid, "name": p.name} for p in providers], "version": dict(VERSION)},
        status_word="success",
    )


def _check_pin(conference: NodeConference, pin: str | None) -> Role:
    room = conference.room
    if pin is None:
        raise ApiError(
            403,
            {
                "pin": "required",
                "guest_pin": "none" if room.guests_without_pin else "required",
                "version": dict(VERSION),
            },
            status_word="success",
        )
    entered = pin.strip()
    if room.host_pin and hmac.compare_digest(entered.encode(), room.host_pin.encode()):
        return Role.HOST
    if room.guest_pin and hmac.compare_digest(entered.encode(), room.guest_pin.encode()):
        return Role.GUEST
    if entered.lower() in ("", "none") and room.guests_without_pin:
        return Role.GUEST
    raise ApiError(403, INVALID_PIN)
