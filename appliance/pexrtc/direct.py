"""Direct media on the client side: the node's relayed signalling, applied in order.

In a direct-media conference (reference §4.4) the far end's offer arrives
as SSE ``new_offer`` / ``update_sdp``, its candidates as ``new_candidate``,
and its departure as ``peer_disconnect``. These must reach the media
engine in the order the node sent them (a candidate is useless before
the offer it belongs to has been answered), while the event stream's
callbacks are synchronous; :class:`DirectSignalling` therefore feeds them
through one queue and one worker task.

The data channel's ``{type, body}`` messages are turned into the same
callbacks the REST events give (:func:`channel_callback`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Final

from appliance.errors import ApplianceError
from appliance.infinity.errors import InfinityError
from appliance.infinity.events import Event, NewCandidate, NewOffer, PeerDisconnect, UpdateSdp
from appliance.log import get_logger
from appliance.pexrtc.media import CallMedia

_log = get_logger(__name__)

DIRECT_EVENTS: Final = (NewOffer, UpdateSdp, NewCandidate, PeerDisconnect)
CHAT: Final = "text/plain"
# How long closing waits for the signalling step in progress (a re-call is a few requests).
CLOSE_GRACE: Final = 10.0


class DirectSignalling:
    """One worker that applies relayed offers, candidates and peer departures in order."""

    def __init__(self, media: Callable[[], CallMedia | None], on_failure: Callable[[str], None]) -> None:
        self._media = media
        self._on_failure = on_failure
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._current: asyncio.Future[None] | None = None

    def push(self, event: Event) -> None:
        self._queue.put_nowait(event)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="pexrtc-direct")

    def clear(self) -> None:
        """Forget queued signalling (the session it belonged to is gone)."""
        while not self._queue.empty():
            self._queue.get_nowait()

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            # Shielded: closing must not cancel the engine half-way (aiortc cannot
            # close a peer connection whose first close() was cancelled).
            self._current = asyncio.ensure_future(self._apply_reported(event))
            await asyncio.shield(self._current)

    async def _apply_reported(self, event: Event) -> None:
        try:
            await self._apply(event)
        except (ApplianceError, InfinityError, ValueError) as exc:
            if isinstance(event, NewCandidate):
                _log.warning("direct media: remote candidate refused: %s", exc)
            else:
                self._on_failure(f"Call Failed: {exc}")

    async def _apply(self, event: Event) -> None:
        media = self._media()
        if media is None:
            _log.info("direct media: %s without a media call, ignored", event.NAME)
            return
        if isinstance(event, NewOffer | UpdateSdp):
            await media.handle_remote_offer(event.sdp)
        elif isinstance(event, NewCandidate):
            candidate = {"candidate": event.candidate, "mid": event.mid or "0"}
            await media.add_remote_candidate(candidate)
        elif isinstance(event, PeerDisconnect):
            _log.info("direct media: the other participant left; calling again")
            await media.call_again()

    async def close(self) -> None:
        """Stop: queued signalling is dropped, the one being applied may finish first."""
        self.clear()
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        current, self._current = self._current, None
        if current is not None and not current.done():
            done, _ = await asyncio.wait({current}, timeout=CLOSE_GRACE)
            if not done:
                current.cancel()
                _log.warning("direct media: signalling still busy after %s s, cancelled", CLOSE_GRACE)


def channel_callback(
    kind: str, body: dict[str, Any], *, chat_enabled: bool, fecc_supported: bool
) -> tuple[str, tuple[Any, ...]] | None:
    """The PexRTC callback for one data-channel message (``None``: not delivered)."""
    if kind == "message" and chat_enabled:
        message = {
            "origin": body.get("origin"),
            "uuid": body.get("uuid"),
            "type": body.get("type", CHAT),
            "payload": body.get("payload"),
            "direct": False,
        }
        name = "onChatMessage" if str(message["type"]).split(";")[0] == CHAT else "onApplicationMessage"
        return name, (message,)
    if kind == "fecc" and fecc_supported:
        return "onFECC", (
            {
                "action": body.get("action"),
                "movement": body.get("movement", []),
                "timeout": body.get("timeout"),
            },
        )
    if kind == "image" and isinstance(body.get("data"), str):
        return "onPresentationReload", (body["data"],)
    _log.debug("data channel: %s message not delivered", kind)
    return None
