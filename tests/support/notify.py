"""A fake systemd notify socket: what a daemon under test says to systemd, in order."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path


class NotifySocket:
    """Bound AF_UNIX datagram socket; pass :attr:`path` as ``NOTIFY_SOCKET``."""

    def __init__(self, directory: Path) -> None:
        self.path = str(directory / "notify.sock")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.path)
        self._sock.setblocking(False)
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        """Read every datagram waiting now (without yielding to the event loop)."""
        fresh = []
        while True:
            try:
                fresh.append(self._sock.recv(4096).decode())
            except BlockingIOError:
                break
        self.messages.extend(fresh)
        return fresh

    def lines(self) -> list[str]:
        """Every ``KEY=value`` line received so far."""
        self.drain()
        return [line for message in self.messages for line in message.splitlines()]

    async def wait_for(self, predicate: Callable[[str], bool], within: float = 30.0) -> str:
        async with asyncio.timeout(within):
            while True:
                for line in self.lines():
                    if predicate(line):
                        return line
                await asyncio.sleep(0.05)

    def close(self) -> None:
        self._sock.close()
