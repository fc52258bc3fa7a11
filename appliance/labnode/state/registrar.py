"""Device registrations on the lab node: who can be called, and the calls offered to them.

Infinity rings a room system through its registration (reference §3.8): the
device holds a registration token for its alias and listens on the
registration's event stream; a conference that dials the alias sends it
``incoming`` with a one-time token, and the device answers by joining the
conference with that token. This module is that registrar for the lab node:
the devices (aliases with credentials, from the rooms file or the built-in
``room-1``), their registration tokens (refreshed, released, lapsing like
participant tokens), their event streams, the directory, and the offers
(one per dial) until they are answered, cancelled or time out.

It knows nothing of HTTP (``http/routes_registration.py``) or of conferences
beyond the one-time token it is handed, so a node restart is
:meth:`Registrar.clear` and tests can drive it directly.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import time
import uuid as uuidlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from appliance.labnode.state.events import EventOutbox, SentEvent, close_all, send_to
from appliance.labnode.state.refusals import INVALID_TOKEN, ApiError
from appliance.labnode.state.tokens import new_token
from appliance.log import forget_secret, get_logger, register_secret

_log = get_logger(__name__)

INVALID_CREDENTIALS: Final = "Invalid credentials"
NO_SUCH_DEVICE: Final = "Registration alias not found"
# The password of the built-in device, documented in docs/labnode.md.
ROOM_1_PASSWORD: Final = "room-1-lab"


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """One registrable alias; ``repr`` hides the password."""

    alias: str
    username: str
    password: str = field(repr=False)
    description: str = ""

    def __post_init__(self) -> None:
        register_secret(self.password)


def builtin_devices() -> tuple[DeviceConfig, ...]:
    return (
        DeviceConfig(alias="room-1", username="room-1", password=ROOM_1_PASSWORD, description="Lab room 1"),
    )


@dataclass(slots=True)
class DeviceRegistration:
    device: DeviceConfig
    uuid: str
    token: str
    expires_at: float
    streams: list[EventOutbox] = field(default_factory=list)

    def send(self, event: SentEvent) -> None:
        send_to(self.streams, event)

    def close_streams(self, *, abrupt: bool = False) -> None:
        close_all(self.streams, abrupt=abrupt)


@dataclass(slots=True)
class Offer:
    """One call offered to a device: ``token`` is the one-time conference token it carries."""

    device_alias: str
    token: str
    conference_alias: str
    remote_display_name: str
    placeholder_uuid: str  # the dialled participant shown as "connecting" meanwhile
    answered: asyncio.Event = field(default_factory=asyncio.Event)


def _credentials(header: str) -> tuple[str, str] | None:
    """``x-pexip-basic base64url(user:password)`` (standard base64 accepted too)."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "x-pexip-basic" or not value:
        return None
    text = value.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None


class Registrar:
    def __init__(
        self,
        devices: Sequence[DeviceConfig] | None,
        lifetime: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        chosen = tuple(devices) if devices is not None else builtin_devices()
        self.devices = {d.alias.lower(): d for d in chosen}
        self.lifetime = lifetime
        self._clock = clock
        self._by_token: dict[str, DeviceRegistration] = {}
        self.offers: dict[str, Offer] = {}

    # --- lookup -----------------------------------------------------------------------

    def device(self, alias: str) -> DeviceConfig:
        found = self.devices.get(alias.strip().lower())
        if found is None:
            raise ApiError(404, NO_SUCH_DEVICE)
        return found

    def match(self, destination: str) -> DeviceConfig | None:
        """The device a dial destination names: its alias, or ``sip:alias``, case-insensitive."""
        text = destination.strip().lower()
        for scheme in ("sips:", "sip:", "h323:"):
            text = text.removeprefix(scheme)
        return self.devices.get(text)

    def registrations_of(self, alias: str) -> list[DeviceRegistration]:
        folded = alias.lower()
        return [r for r in self._by_token.values() if r.device.alias.lower() == folded]

    def is_registered(self, alias: str) -> bool:
        return bool(self.registrations_of(alias))

    def lookup(self, token: str | None) -> DeviceRegistration | None:
        registration = self._by_token.get(token or "")
        if registration is None or registration.expires_at <= self._clock():
            return None
        return registration

    def authenticate(self, alias: str, token: str | None) -> DeviceRegistration:
        registration = self._by_token.get(token or "")
        if (
            registration is None
            or registration.device.alias.lower() != alias.strip().lower()
            or registration.expires_at <= self._clock()
        ):
            raise ApiError(403, INVALID_TOKEN)
        return registration

    # --- token lifecycle --------------------------------------------------------------

    def register(self, alias: str, authorization: str) -> DeviceRegistration:
        device = self.device(alias)
        given = _credentials(authorization)
        if given is None or not (
            hmac.compare_digest(given[0].encode(), device.username.encode())
            and hmac.compare_digest(given[1].encode(), device.password.encode())
        ):
            _log.info("registration refused: wrong credentials", extra={"context": {"alias": device.alias}})
            raise ApiError(401, INVALID_CREDENTIALS)
        token = new_token()
        register_secret(token)
        registration = DeviceRegistration(
            device=device, uuid=str(uuidlib.uuid4()), token=token, expires_at=self._clock() + self.lifetime
        )
        self._by_token[token] = registration
        _log.info("device registered", extra={"context": {"alias": device.alias, "uuid": registration.uuid}})
        return registration

    def refresh(self, registration: DeviceRegistration) -> str:
        self._by_token.pop(registration.token, None)
        forget_secret(registration.token)
        registration.token = new_token()
        register_secret(registration.token)
        registration.expires_at = self._clock() + self.lifetime
        self._by_token[registration.token] = registration
        return registration.token

    def release(self, registration: DeviceRegistration) -> None:
        self._by_token.pop(registration.token, None)
        forget_secret(registration.token)
        registration.close_streams()
        _log.info("device unregistered", extra={"context": {"alias": registration.device.alias}})

    def reap(self) -> list[str]:
        """Drop registrations whose token lapsed; returns their aliases."""
        now = self._clock()
        lapsed = [r for r in self._by_token.values() if r.expires_at <= now]
        for registration in lapsed:
            self._by_token.pop(registration.token, None)
            forget_secret(registration.token)
            registration.close_streams(abrupt=True)
        return [r.device.alias for r in lapsed]

    def clear(self) -> None:
        """A node restart: every registration, stream and offer is forgotten without a word."""
        for registration in list(self._by_token.values()):
            forget_secret(registration.token)
            registration.close_streams(abrupt=True)
        self._by_token.clear()
        self.offers.clear()

    def attach_stream(self, registration: DeviceRegistration) -> EventOutbox:
        stream = EventOutbox(registration.uuid)
        registration.streams = [s for s in registration.streams if not s.closed]
        registration.streams.append(stream)
        return stream

    # --- the directory ------------------------------------------------------------------

    def directory(self, query: str) -> list[dict[str, str]]:
        text = query.strip().lower()
        return [
            {"alias": d.alias, "description": d.description, "username": d.username}
            for d in self.devices.values()
            if not text or text in d.alias.lower() or text in d.description.lower()
        ]

    # --- offers -------------------------------------------------------------------------

    def offer(self, device: DeviceConfig, offer: Offer) -> bool:
        """Ring the device's registrations; False when it is not registered (nothing sent)."""
        registrations = self.registrations_of(device.alias)
        if not registrations:
            return False
        self.offers[offer.token] = offer
        data = {
            "conference_alias": offer.conference_alias,
            "remote_display_name": offer.remote_display_name,
            "token": offer.token,
        }
        for registration in registrations:
            registration.send(SentEvent("incoming", data))
        _log.info("incoming call offered", extra={"context": {"alias": device.alias}})
        return True

    def cancel(self, token: str) -> None:
        """Withdraw an unanswered offer: ``incoming_cancelled`` to the device."""
        offer = self.offers.pop(token, None)
        if offer is None:
            return
        for registration in self.registrations_of(offer.device_alias):
            registration.send(SentEvent("incoming_cancelled", {"token": token}))
        _log.info("incoming call cancelled", extra={"context": {"alias": offer.device_alias}})

    def answered(self, token: str) -> Offer | None:
        """The offer a one-time token belongs to, taken out and marked answered (or None)."""
        offer = self.offers.pop(token, None)
        if offer is not None:
            offer.answered.set()
        return offer
