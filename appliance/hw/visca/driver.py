"""The PTZ camera: VISCA commands with their replies matched, a bounded queue, and recovery.

A VISCA camera holds at most two commands at once (its two command
sockets). It ACKs a command with the socket it took, and later reports
completion (or an error) on that socket; an inquiry is answered directly.
:class:`PtzCamera` keeps to that:

- one packet is on the wire waiting for its first reply at a time (the ACK
  says which socket it took), and at most ``sockets`` commands wait for
  completion, so the camera's "command buffer full" never happens;
- a missing first reply is retried (``retries`` times), then
  :class:`ViscaTimeout`; a camera that stops answering altogether is marked
  absent and probed with a power inquiry, with back-off, until it answers;
- an error reply becomes :class:`ViscaCommandError` with its code;
- a camera that was power-cycled says "network change" (serial): pending
  commands fail and the address set / IF_Clear start-up is done again;
- a serial link that dies (cable pulled, USB adapter gone) is reopened
  with back-off until the port is back.

Presence changes go to ``on_presence(present, detail)``, which the room
controller turns into ``DevicePresence`` and ``fecc_supported``
(docs/hardware.md, "PTZ camera").
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from appliance.config.profile import ViscaSpec
from appliance.errors import DeviceError
from appliance.hw.timing import SYSTEM_CLOCK, Clock
from appliance.hw.visca import protocol as p
from appliance.hw.visca.fake import FakeViscaCamera
from appliance.hw.visca.transport import IpLink, Link, SerialLink, ViscaLinkError
from appliance.log import get_logger

log = get_logger(__name__)

PresenceHandler = Callable[[bool, str], None]


class ViscaTimeout(DeviceError, TimeoutError):
    """The camera did not answer in time."""


class ViscaCommandError(DeviceError):
    """The camera answered a command with an error reply."""

    def __init__(self, message: str, code: p.ErrorCode | None) -> None:
        super().__init__(message)
        self.code = code


class ViscaUnavailable(DeviceError, ConnectionError):
    """The camera is not reachable now (link down, restarting); the driver is recovering."""


@dataclass(slots=True)
class ViscaStats:
    commands: int = 0
    inquiries: int = 0
    retries: int = 0
    timeouts: int = 0
    errors: int = 0
    restarts: int = 0  # power cycles noticed
    reconnects: int = 0
    max_in_flight: int = 0


class PtzCamera:
    """One VISCA camera on a :class:`~appliance.hw.visca.transport.Link`.

    ``await camera.start()`` opens the link and initialises the camera
    (raising if it does not answer); afterwards failures are recovered by
    the driver itself. Movement methods take directions as -1/0/+1 and
    speeds in the camera's ranges (pan 1-24, tilt 1-23, zoom 0-7).
    """

    def __init__(
        self,
        link: Link,
        *,
        address: int = 1,
        timeout_s: float = 1.0,
        completion_timeout_s: float = 15.0,
        retries: int = 1,
        sockets: int = 2,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 5.0,
        clock: Clock = SYSTEM_CLOCK,
        on_presence: PresenceHandler | None = None,
    ) -> None:
        self.link = link
        self.address = address
        self.timeout_s = timeout_s
        self.completion_timeout_s = completion_timeout_s
        self.retries = retries
        self.sockets = sockets
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.clock = clock
        self.on_presence = on_presence
        self.stats = ViscaStats()
        self.present = False
        self.detail = "not started"
        self._capacity = asyncio.Semaphore(sockets)
        self._wire = asyncio.Lock()
        self._first: asyncio.Future[p.Reply] | None = None
        self._by_socket: dict[int, asyncio.Future[p.Reply]] = {}
        self._acked: asyncio.Future[p.Reply] | None = None
        self._in_flight = 0
        self._recovery: asyncio.Task[None] | None = None
        self._closed = False
        self._open = False

    # -- life ----------------------------------------------------------------------------

    @property
    def garbage(self) -> int:
        """Bytes runs skipped on the line (serial) or malformed datagrams (IP)."""
        return self.link.garbage

    async def start(self) -> None:
        """Open the link and initialise the camera; :class:`DeviceError` if it cannot."""
        await self._connect()

    async def close(self) -> None:
        self._closed = True
        if self._recovery is not None:
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recovery
        self._fail_pending(ViscaUnavailable("camera driver closed"))
        await self.link.close()
        self._open = False

    async def _connect(self) -> None:
        if not self._open:
            await self.link.open(self._on_reply, self._on_lost)
            self._open = True
        await self.link.reset()
        if self.link.addresses_by_broadcast:
            await self._broadcast(p.address_set(), p.ReplyKind.ADDRESS)
            await self._broadcast(p.if_clear(), p.ReplyKind.CLEARED)
        await self._inquire(p.inquire_power(self.address))
        self._set_presence(True, f"answering on {self.link.name}")

    async def _broadcast(self, packet: bytes, expect: p.ReplyKind) -> None:
        async with self._wire:
            for attempt in range(self.retries + 1):
                reply = await self._exchange(packet, attempt)
                if reply is not None:
                    if reply.kind is not expect:
                        raise ViscaCommandError(f"unexpected answer to broadcast: {reply.describe()}", None)
                    return
        raise self._timed_out(packet)

    def _set_presence(self, present: bool, detail: str) -> None:
        changed = present != self.present
        self.present, self.detail = present, detail
        if changed:
            log.info(
                "PTZ camera %s", "present" if present else "absent", extra={"context": {"detail": detail}}
            )
            if self.on_presence is not None:
                self.on_presence(present, detail)

    # -- replies -------------------------------------------------------------------------

    def _on_reply(self, reply: p.Reply) -> None:
        if reply.kind is p.ReplyKind.NETWORK_CHANGE:
            self.stats.restarts += 1
            self._lose("camera restarted (network change)", recover_link=False)
            return
        if reply.kind in (p.ReplyKind.COMPLETION, p.ReplyKind.ERROR) and reply.socket in self._by_socket:
            future = self._by_socket.pop(reply.socket)
            if not future.done():
                future.set_result(reply)
            return
        if self._first is not None and not self._first.done():
            if reply.kind is p.ReplyKind.ACK:
                # the completion can be in the same read as the ACK: wait for it from now on
                self._acked = self._by_socket[reply.socket] = asyncio.get_running_loop().create_future()
            self._first.set_result(reply)
            return
        log.debug("unmatched VISCA reply", extra={"context": {"reply": reply.describe()}})

    def _on_lost(self, exc: Exception | None) -> None:
        self._open = False
        self._lose(f"link lost: {exc or 'closed'}", recover_link=True)

    def _lose(self, detail: str, *, recover_link: bool) -> None:
        self._fail_pending(ViscaUnavailable(f"PTZ camera {detail}"))
        if self._closed:
            return
        self._set_presence(False, detail)
        if self._recovery is None or self._recovery.done():
            self._recovery = asyncio.get_running_loop().create_task(self._recover(), name="visca-recover")

    def _fail_pending(self, error: Exception) -> None:
        futures = [*self._by_socket.values(), *([self._first] if self._first else [])]
        self._by_socket.clear()
        for future in futures:
            if not future.done():
                future.set_exception(error)

    async def _recover(self) -> None:
        delay = self.backoff_initial_s
        while not self._closed:
            await self.clock.sleep(delay)
            try:
                await self._connect()
            except (DeviceError, OSError) as exc:
                self.detail = f"recovering: {exc}"
                delay = min(delay * 2, self.backoff_max_s)
                continue
            self.stats.reconnects += 1
            return

    # -- sending -------------------------------------------------------------------------

    async def _exchange(self, packet: bytes, attempt: int) -> p.Reply | None:
        """Send ``packet`` and wait for its first reply; None on timeout. Hold ``_wire``."""
        if not self._open:
            raise ViscaUnavailable(f"PTZ camera link {self.link.name} is down; reconnecting")
        if attempt:
            self.stats.retries += 1
        self._first = asyncio.get_running_loop().create_future()
        try:
            self.link.send(packet)
            async with asyncio.timeout(self.timeout_s):
                return await self._first
        except TimeoutError:
            return None
        finally:
            self._first = None

    def _timed_out(self, packet: bytes) -> ViscaTimeout:
        self.stats.timeouts += 1
        error = ViscaTimeout(
            f"PTZ camera on {self.link.name} did not answer {packet.hex()} within {self.timeout_s} s"
            f" ({self.retries + 1} tries)"
        )
        if self.present:
            self._lose("not answering", recover_link=False)
        return error

    def _raise_error(self, reply: p.Reply, packet: bytes) -> None:
        self.stats.errors += 1
        assert reply.error is not None
        raise ViscaCommandError(f"PTZ camera refused {packet.hex()}: {reply.describe()}", reply.error)

    async def _inquire(self, packet: bytes) -> bytes:
        self.stats.inquiries += 1
        async with self._wire:
            for attempt in range(self.retries + 1):
                reply = await self._exchange(packet, attempt)
                if reply is None:
                    continue
                if reply.kind is p.ReplyKind.ERROR:
                    self._raise_error(reply, packet)
                if reply.kind is not p.ReplyKind.COMPLETION:
                    raise ViscaCommandError(f"unexpected answer to inquiry: {reply.describe()}", None)
                return reply.data
        raise self._timed_out(packet)

    async def command(self, packet: bytes, *, completion_timeout_s: float | None = None) -> None:
        """Send one command and wait for its completion (or raise)."""
        if not self.present and self._recovery is not None and not self._recovery.done():
            raise ViscaUnavailable(f"PTZ camera on {self.link.name} is recovering: {self.detail}")
        self.stats.commands += 1
        async with self._capacity:
            self._in_flight += 1
            self.stats.max_in_flight = max(self.stats.max_in_flight, self._in_flight)
            try:
                await self._command(packet, completion_timeout_s or self.completion_timeout_s)
            finally:
                self._in_flight -= 1

    async def _command(self, packet: bytes, completion_timeout_s: float) -> None:
        async with self._wire:
            for attempt in range(self.retries + 1):
                first = await self._exchange(packet, attempt)
                if first is not None:
                    break
            else:
                raise self._timed_out(packet)
            if first.kind is p.ReplyKind.ERROR:
                self._raise_error(first, packet)
            if first.kind is p.ReplyKind.COMPLETION:
                return
            if first.kind is not p.ReplyKind.ACK:
                raise ViscaCommandError(f"unexpected answer to command: {first.describe()}", None)
            done = self._acked
            assert done is not None
            self._acked = None
        try:
            async with asyncio.timeout(completion_timeout_s):
                final = await done
        except TimeoutError:
            self._by_socket.pop(first.socket, None)
            self.stats.timeouts += 1
            raise ViscaTimeout(
                f"PTZ camera on {self.link.name} did not complete {packet.hex()} in {completion_timeout_s} s"
            ) from None
        if final.kind is p.ReplyKind.ERROR:
            self._raise_error(final, packet)

    # -- the camera's operations ----------------------------------------------------------

    async def drive(self, pan: int, tilt: int, pan_speed: int, tilt_speed: int) -> None:
        """Pan (-1 left, +1 right) and tilt (-1 down, +1 up) at speed until told otherwise."""
        await self.command(p.pan_tilt_drive(self.address, pan, tilt, pan_speed, tilt_speed))

    async def stop(self) -> None:
        """Stop pan, tilt and zoom."""
        await self.command(p.pan_tilt_stop(self.address))
        await self.command(p.zoom_drive(self.address, 0, 0))

    async def zoom(self, direction: int, speed: int) -> None:
        """Zoom tele (+1), wide (-1) or stop (0)."""
        await self.command(p.zoom_drive(self.address, direction, speed))

    async def move_to(self, pan: int, tilt: int, pan_speed: int, tilt_speed: int) -> None:
        await self.command(p.pan_tilt_absolute(self.address, pan, tilt, pan_speed, tilt_speed))

    async def zoom_to(self, position: int) -> None:
        await self.command(p.zoom_direct(self.address, position))

    async def home(self) -> None:
        await self.command(p.pan_tilt_home(self.address))

    async def preset_store(self, preset: int) -> None:
        await self.command(p.memory(self.address, "set", preset))

    async def preset_recall(self, preset: int) -> None:
        await self.command(p.memory(self.address, "recall", preset))

    async def preset_reset(self, preset: int) -> None:
        await self.command(p.memory(self.address, "reset", preset))

    async def power(self, on: bool) -> None:
        await self.command(p.power(self.address, on))

    async def position(self) -> tuple[int, int]:
        """(pan, tilt) in camera units."""
        return p.parse_pan_tilt(await self._inquire(p.inquire_pan_tilt(self.address)))

    async def zoom_position(self) -> int:
        return p.parse_zoom(await self._inquire(p.inquire_zoom(self.address)))

    async def powered(self) -> bool:
        return p.parse_power(await self._inquire(p.inquire_power(self.address)))


def open_link(driver: str, *, port: str = "", baudrate: int = 9600, host: str = "", ip_port: int = 0) -> Link:
    """The link a profile's ``[visca]`` names (``serial`` or ``ip``)."""
    if driver == "serial":
        return SerialLink(port, baudrate)
    if driver == "ip":
        return IpLink(host, ip_port or p.IP_PORT)
    raise ViscaLinkError(f"VISCA driver {driver!r} has no link (expected 'serial' or 'ip')")


@dataclass(slots=True)
class PtzHandle:
    """A started camera, and the fake behind it when the profile says ``driver = "fake"``."""

    camera: PtzCamera
    fake: FakeViscaCamera | None = None

    async def close(self) -> None:
        await self.camera.close()
        if self.fake is not None:
            await self.fake.close()


async def open_camera(
    spec: ViscaSpec, *, clock: Clock = SYSTEM_CLOCK, on_presence: PresenceHandler | None = None
) -> PtzHandle:
    """The PTZ camera of a profile's ``[visca]``, started (the fake one too, for ``ci-virtual``).

    Raises :class:`~appliance.errors.DeviceError` when it does not answer at
    start; :class:`ValueError` for ``driver = "none"`` (there is no camera).
    """
    fake = None
    if spec.driver == "none":
        raise ValueError("[visca] driver = 'none': this profile has no PTZ camera")
    if spec.driver == "fake":
        fake = await FakeViscaCamera(
            spec.address, serial=spec.fake_transport == "serial", udp=spec.fake_transport == "ip"
        ).start()
        link: Link = (
            SerialLink(fake.serial_path)
            if spec.fake_transport == "serial"
            else IpLink("127.0.0.1", fake.udp_port)
        )
    else:
        link = open_link(
            spec.driver, port=spec.port, baudrate=spec.baudrate, host=spec.host, ip_port=spec.ip_port
        )
    camera = PtzCamera(
        link, address=spec.address, timeout_s=spec.timeout_s, clock=clock, on_presence=on_presence
    )
    try:
        await camera.start()
    except BaseException:
        await PtzHandle(camera, fake).close()
        raise
    return PtzHandle(camera, fake)
