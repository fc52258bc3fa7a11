"""PexRTC's data channel in direct media: chat, application messages and FECC peer to peer.

In a direct-media call there is no node in the media path to carry chat or
camera control, so PexRTC opens an SCTP channel negotiated out of band
(reference §4.4): label ``pexChannel``, ``id = pex_datachannel_id`` from
``request_token``, JSON ``{type, body}`` messages. Both ends create it
before the first offer/answer so it rides in the same bundle.

The media engine makes one peer connection per call and a new one after a
re-call, so :class:`ChannelLink` adds the channel to *every* peer
connection the engine makes, through the engine's ``on_connection`` hook.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from aiortc import RTCDataChannel, RTCPeerConnection

from appliance.errors import MediaError
from appliance.log import get_logger

_log = get_logger(__name__)

LABEL: Final = "pexChannel"
# PexRTC cuts data-channel images into data-URL chunks of at most this size.
IMAGE_CHUNK: Final = 64000

Receiver = Callable[[str, dict[str, Any]], None]


def encode(kind: str, body: Mapping[str, Any]) -> str:
    """One channel message: ``{"type": kind, "body": body}`` as JSON text."""
    return json.dumps({"type": kind, "body": dict(body)}, separators=(",", ":"))


def decode(text: str | bytes) -> tuple[str, dict[str, Any]] | None:
    """``(type, body)`` of a channel message; ``None`` for anything that is not one."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return None
    body = data.get("body")
    return data["type"], body if isinstance(body, dict) else {}


class ImageAssembler:
    """Reassembles ``image`` messages (``{fragment, total, data}``) into one data URL."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def add(self, body: Mapping[str, Any]) -> str | None:
        """The complete data URL once ``fragment == total``, else ``None``."""
        fragment, total, data = body.get("fragment"), body.get("total"), body.get("data")
        if not isinstance(fragment, int) or not isinstance(total, int) or not isinstance(data, str):
            return None
        if fragment <= 1:
            self._parts = []
        self._parts.append(data)
        if fragment < total:
            return None
        image, self._parts = "".join(self._parts), []
        return image


class PexChannel:
    """The ``pexChannel`` of one peer connection: typed send, decoded receive."""

    def __init__(self, channel: RTCDataChannel, receiver: Receiver) -> None:
        self.channel = channel
        self._receiver = receiver
        self._images = ImageAssembler()
        self.opened = asyncio.Event()
        if channel.readyState == "open":
            self.opened.set()

        @channel.on("open")
        def on_open() -> None:
            self.opened.set()

        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            self._received(message)

    @property
    def open(self) -> bool:
        return self.channel.readyState == "open"

    def _received(self, message: str | bytes) -> None:
        decoded = decode(message)
        if decoded is None:
            _log.warning("data channel: ignored a message that is not {type, body} JSON")
            return
        kind, body = decoded
        if kind == "image":
            image = self._images.add(body)
            if image is None:
                return
            body = {"data": image}
        self._receiver(kind, body)

    def send(self, kind: str, body: Mapping[str, Any]) -> None:
        if not self.open:
            raise MediaError(f"the data channel is {self.channel.readyState}, not open")
        self.channel.send(encode(kind, body))

    def send_message(self, origin: str, mime_type: str, payload: str, uuid: str) -> None:
        """Chat (``text/plain``) or an application message, as PexRTC's ``message``."""
        self.send("message", {"origin": origin, "type": mime_type, "payload": payload, "uuid": uuid})

    def send_fecc(self, action: str, movement: list[dict[str, str]], timeout_ms: int) -> None:
        self.send("fecc", {"action": action, "movement": movement, "timeout": timeout_ms})


class ChannelLink:
    """Puts ``pexChannel`` on every new peer connection of a call; keeps the current one.

    Given to the engine as ``MediaCall(on_connection=link.attach)``: the
    engine calls it after the media lines exist and before the offer or
    answer, on the first connection and on every re-call.
    """

    def __init__(self, channel_id: int, receiver: Receiver) -> None:
        self.channel_id = channel_id
        self._receiver = receiver
        self.current: PexChannel | None = None

    def attach(self, pc: RTCPeerConnection) -> None:
        channel = pc.createDataChannel(LABEL, negotiated=True, id=self.channel_id)
        self.current = PexChannel(channel, self._receiver)
