"""Conference and participant operations behind the PexRTC methods (§3.1, §3.2, §8).

Each method is one request, named for what a user asked for, so an error
reads "lock the conference: this needs Host rights". Operations the
reference marks Host-only fail locally when our role is Guest: a room
system's buttons should explain themselves, not wait for a 403.
Results are the node's own (``bool`` for most): ``false`` is an answer,
not an error, as in every Pexip client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appliance.infinity.calls import check_dtmf, fecc_body
from appliance.infinity.errors import BadRequest, ProtocolError
from appliance.infinity.models import ConferenceStatus, Participant, Role
from appliance.infinity.scope import Scope

DIAL_PROTOCOLS = ("sip", "h323", "rtmp", "mssip", "auto")
DIAL_ROLES = ("HOST", "GUEST")


@dataclass(frozen=True, slots=True)
class Classification:
    current: int | None
    levels: Mapping[str, str]


def role_word(role: str | Role) -> str:
    """``chair``/``guest`` only, as PexRTC's setRole: anything else is a caller bug."""
    if isinstance(role, Role):
        return role.participant_role
    if role in ("chair", "guest"):
        return role
    raise ValueError(f"role: expected 'chair' or 'guest', found {role!r}")


# The reference lists both ``host|guest`` and ``chair|guest`` for transfer and
# leaves the accepted set open (§3.2): the other spelling of a refused word.
_TRANSFER_ROLE_ALTERNATE = {"chair": "host", "host": "chair"}


def transfer_role_word(role: str | Role) -> str:
    """``chair``/``host``/``guest`` (or a ``Role``, sent as ``chair``/``guest``)."""
    if isinstance(role, Role):
        return role.participant_role
    if role in ("chair", "host", "guest"):
        return role
    raise ValueError(f"role: expected 'host', 'chair' or 'guest', found {role!r}")


class ConferenceControl:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope
        self._serial: dict[str, asyncio.Lock] = {}

    def for_breakout(self, breakout_uuid: str, participant_uuid: str) -> ConferenceControl:
        return ConferenceControl(self._scope.for_breakout(breakout_uuid, participant_uuid))

    # --- helpers ---------------------------------------------------------------

    async def _host_post(self, relative: str, operation: str, body: Any = None) -> Any:
        self._scope.require_host(operation)
        return await self._scope.post(self._scope.path(relative), operation, body)

    async def _participant_post(
        self, uuid: str | None, relative: str, operation: str, body: Any = None, *, host_for_others: bool
    ) -> Any:
        if host_for_others and not self._scope.is_self(uuid, operation):
            self._scope.require_host(operation)
        path = self._scope.participant_path(uuid, relative, operation)
        return await self._scope.post(path, operation, body)

    async def _host_participant_post(self, uuid: str, relative: str, operation: str, body: Any = None) -> Any:
        self._scope.require_host(operation)
        return await self._scope.post(
            self._scope.participant_path(uuid, relative, operation), operation, body
        )

    # --- conference-level --------------------------------------------------------

    async def lock(self) -> Any:
        return await self._host_post("lock", "lock the conference")

    async def unlock(self) -> Any:
        return await self._host_post("unlock", "unlock the conference")

    async def set_lock(self, locked: bool) -> Any:
        return await (self.lock() if locked else self.unlock())

    async def mute_guests(self) -> Any:
        return await self._host_post("muteguests", "mute all Guests")

    async def unmute_guests(self) -> Any:
        return await self._host_post("unmuteguests", "unmute all Guests")

    async def set_mute_all_guests(self, muted: bool) -> Any:
        return await (self.mute_guests() if muted else self.unmute_guests())

    async def set_guests_can_unmute(self, setting: bool) -> Any:
        return await self._host_post(
            "set_guests_can_unmute", "set whether Guests may unmute", {"setting": bool(setting)}
        )

    async def start_conference(self) -> Any:
        return await self._host_post("start_conference", "start the conference")

    async def disconnect_all(self) -> Any:
        return await self._host_post("disconnect", "disconnect everyone")

    async def clear_all_buzz(self) -> Any:
        return await self._host_post("clearallbuzz", "lower all raised hands")

    async def transform_layout(self, transforms: Mapping[str, Any]) -> Any:
        """Send the whole transforms object (cumulative on the node; ``{}`` resets)."""
        if not isinstance(transforms, Mapping):
            raise TypeError("transforms: expected a mapping")
        return await self._host_post(
            "transform_layout", "change the layout", {"transforms": dict(transforms)}
        )

    async def set_classification_level(self, level: int) -> Any:
        return await self._host_post(
            "set_classification_level", "set the classification level", {"level": int(level)}
        )

    async def get_classification_level(self) -> Classification:
        operation = "read the classification level"
        result = await self._scope.get(self._scope.path("get_classification_level"), operation)
        if not isinstance(result, Mapping):
            raise ProtocolError(operation, "expected {current, levels}")
        levels = result.get("levels") or {}
        current = result.get("current")
        return Classification(
            current=int(current)
            if isinstance(current, (int, float)) and not isinstance(current, bool)
            else None,
            levels={str(k): str(v) for k, v in levels.items()} if isinstance(levels, Mapping) else {},
        )

    async def dial(
        self,
        destination: str,
        *,
        protocol: str = "auto",
        role: str = "GUEST",
        call_type: str | None = None,
        presentation_url: str | None = None,
        streaming: bool | None = None,
        dtmf_sequence: str | None = None,
        keep_conference_alive: str | None = None,
        remote_display_name: str | None = None,
        text: str | None = None,
        source: str | None = None,
        source_display_name: str | None = None,
        **extra: Any,
    ) -> list[str]:
        """Dial out (§3.5); returns the new participants' uuids (forks may give several)."""
        operation = f"dial out to {destination}"
        if protocol not in DIAL_PROTOCOLS:
            raise ValueError(f"protocol: expected one of {', '.join(DIAL_PROTOCOLS)}, found {protocol!r}")
        role_up = role.upper()
        if role_up not in DIAL_ROLES:
            raise ValueError(f"role: expected HOST or GUEST, found {role!r}")
        body: dict[str, Any] = {"destination": destination, "protocol": protocol, "role": role_up}
        optional: dict[str, Any] = {
            "call_type": call_type,
            "presentation_url": presentation_url,
            "dtmf_sequence": dtmf_sequence,
            "keep_conference_alive": keep_conference_alive,
            "remote_display_name": remote_display_name,
            "text": text,
            "source": source,
            "source_display_name": source_display_name,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        if streaming is not None:
            body["streaming"] = "yes" if streaming else "no"
        body.update(extra)
        result = await self._host_post("dial", operation, body)
        if isinstance(result, str):
            return [result]
        if not isinstance(result, list) or not all(isinstance(u, str) for u in result):
            raise ProtocolError(operation, "expected a list of participant uuids")
        return list(result)

    async def send_message(
        self, payload: str, *, mime_type: str = "text/plain", uuid: str | None = None
    ) -> Any:
        """Broadcast (``uuid=None``) or direct message; chat is ``text/plain``."""
        body = {"type": mime_type, "payload": payload}
        if uuid is None:
            operation = "send a message to the conference"
            self._scope.require_token(operation)
            return await self._scope.post(self._scope.path("message"), operation, body)
        operation = "send a direct message"
        return await self._scope.post(
            self._scope.participant_path(uuid, "message", operation), operation, body
        )

    async def send_chat(self, text: str, uuid: str | None = None) -> Any:
        return await self.send_message(text, mime_type="text/plain", uuid=uuid)

    async def send_application_message(self, obj: Any, uuid: str | None = None) -> Any:
        return await self.send_message(json.dumps(obj), mime_type="application/json", uuid=uuid)

    async def available_layouts(self, *, annotate: bool = False) -> list[Any]:
        operation = "list the available layouts"
        params = {"annotate": "true"} if annotate else None
        result = await self._scope.get(self._scope.path("available_layouts"), operation, params)
        if not isinstance(result, list):
            raise ProtocolError(operation, "expected a list of layouts")
        return result

    async def participants(self) -> list[Participant]:
        operation = "list the participants"
        result = await self._scope.get(self._scope.path("participants"), operation)
        if not isinstance(result, list):
            raise ProtocolError(operation, "expected a list of participants")
        try:
            return [Participant.from_wire(p) for p in result]
        except ValueError as exc:
            raise ProtocolError(operation, str(exc)) from None

    async def conference_status(self) -> ConferenceStatus:
        operation = "read the conference status"
        result = await self._scope.get(self._scope.path("conference_status"), operation)
        try:
            return ConferenceStatus.from_wire(result)
        except ValueError as exc:
            raise ProtocolError(operation, str(exc)) from None

    async def theme(self) -> dict[str, Any] | None:
        """``GET theme/``; None when the node has no theme (204)."""
        operation = "read the theme"
        result = await self._scope.get("theme/", operation)
        if result is None:
            return None
        if not isinstance(result, Mapping):
            raise ProtocolError(operation, "expected an object of splash screens")
        return dict(result)

    # --- participant-level ---------------------------------------------------------

    async def mute(self, uuid: str) -> Any:
        return await self._participant_post(uuid, "mute", "mute a participant", host_for_others=True)

    async def unmute(self, uuid: str) -> Any:
        return await self._participant_post(uuid, "unmute", "unmute a participant", host_for_others=True)

    async def set_participant_mute(self, uuid: str, muted: bool) -> Any:
        return await (self.mute(uuid) if muted else self.unmute(uuid))

    async def client_mute(self) -> Any:
        return await self._participant_post(
            None, "client_mute", "tell the node we muted", host_for_others=False
        )

    async def client_unmute(self) -> Any:
        return await self._participant_post(
            None, "client_unmute", "tell the node we unmuted", host_for_others=False
        )

    async def video_mute(self, uuid: str | None = None) -> Any:
        return await self._participant_post(uuid, "video_muted", "mute video", host_for_others=True)

    async def video_unmute(self, uuid: str | None = None) -> Any:
        return await self._participant_post(uuid, "video_unmuted", "unmute video", host_for_others=True)

    async def allow_rx_presentation(self, uuid: str) -> Any:
        return await self._host_participant_post(
            uuid, "allowrxpresentation", "let a participant see presentations"
        )

    async def deny_rx_presentation(self, uuid: str) -> Any:
        return await self._host_participant_post(
            uuid, "denyrxpresentation", "stop presentations to a participant"
        )

    async def set_rx_presentation(self, uuid: str, allow: bool) -> Any:
        return await (self.allow_rx_presentation(uuid) if allow else self.deny_rx_presentation(uuid))

    async def spotlight_on(self, uuid: str) -> Any:
        return await self._host_participant_post(uuid, "spotlighton", "spotlight a participant")

    async def spotlight_off(self, uuid: str) -> Any:
        return await self._host_participant_post(uuid, "spotlightoff", "remove a spotlight")

    async def set_spotlight(self, uuid: str, on: bool) -> Any:
        return await (self.spotlight_on(uuid) if on else self.spotlight_off(uuid))

    async def set_overlay_text(self, uuid: str, text: str) -> Any:
        return await self._host_participant_post(uuid, "overlaytext", "change a name overlay", {"text": text})

    async def set_presentation_in_mix(self, state: bool, uuid: str | None = None) -> Any:
        return await self._participant_post(
            uuid,
            "pres_in_mix",
            "show the presentation in the layout",
            {"state": bool(state)},
            host_for_others=True,
        )

    async def set_role(self, uuid: str, role: str | Role) -> Any:
        word = role_word(role)
        return await self._host_participant_post(uuid, "role", "change a participant's role", {"role": word})

    async def unlock_participant(self, uuid: str) -> Any:
        return await self._host_participant_post(uuid, "unlock", "let a waiting participant in")

    async def disconnect_participant(self, uuid: str) -> Any:
        return await self._host_participant_post(uuid, "disconnect", "disconnect a participant")

    async def transfer(
        self, uuid: str, conference_alias: str, *, role: str | Role | None = None, pin: str | None = None
    ) -> Any:
        """Move a participant; ``pin`` is sent only together with ``role`` (as PexRTC).

        A node that answers 400 to one spelling of the Host role (``chair`` or
        ``host``) is asked once more with the other, because sources disagree
        on which one transfer accepts.
        """
        operation = "transfer a participant"
        body: dict[str, Any] = {"conference_alias": conference_alias}
        if role is not None:
            body["role"] = transfer_role_word(role)
            if pin is not None:
                body["pin"] = pin
        try:
            return await self._host_participant_post(uuid, "transfer", operation, body)
        except BadRequest:
            alternate = _TRANSFER_ROLE_ALTERNATE.get(body.get("role", ""))
            if alternate is None:
                raise
        return await self._host_participant_post(uuid, "transfer", operation, {**body, "role": alternate})

    async def send_dtmf(self, digits: str, uuid: str) -> Any:
        operation = "send DTMF to a participant"
        check_dtmf(digits)
        async with self._serial.setdefault(f"dtmf:{uuid}", asyncio.Lock()):
            return await self._scope.post(
                self._scope.participant_path(uuid, "dtmf", operation), operation, {"digits": digits}
            )

    async def send_fecc(
        self, action: str, axis: str, direction: str, uuid: str, *, timeout_ms: int | None = 1000
    ) -> Any:
        operation = "send camera control to a participant"
        body = fecc_body(action, axis, direction, timeout_ms)
        async with self._serial.setdefault(f"fecc:{uuid}", asyncio.Lock()):
            return await self._scope.post(
                self._scope.participant_path(uuid, "fecc", operation), operation, body
            )

    async def buzz(self) -> Any:
        return await self._participant_post(None, "buzz", "raise our hand", host_for_others=False)

    async def clear_buzz(self, uuid: str | None = None) -> Any:
        return await self._participant_post(uuid, "clearbuzz", "lower a raised hand", host_for_others=True)

    async def preferred_aspect_ratio(self, ratio: float, uuid: str | None = None) -> Any:
        if not 0 <= ratio <= 2:
            raise ValueError(f"aspect ratio: expected a number between 0 and 2, found {ratio!r}")
        return await self._participant_post(
            uuid,
            "preferred_aspect_ratio",
            "ask for an aspect ratio",
            {"aspect_ratio": float(ratio)},
            host_for_others=False,
        )

    async def show_live_captions(self) -> Any:
        return await self._participant_post(
            None, "show_live_captions", "show live captions", host_for_others=False
        )

    async def hide_live_captions(self) -> Any:
        return await self._participant_post(
            None, "hide_live_captions", "hide live captions", host_for_others=False
        )

    async def notify_not_afk(self) -> Any:
        return await self._participant_post(
            None, "notify_not_afk", "tell the node we are here", host_for_others=False
        )
