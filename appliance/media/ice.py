"""ICE configuration shared by the appliance and the lab node.

Two facts about aiortc/aioice shape this module:

* ``RTCPeerConnection()`` with no configuration uses a public STUN server.
  A room system must use only the servers its node or its site names, and
  tests must stay on loopback, so every peer connection is built through
  :func:`rtc_configuration`, which never adds a server on its own.
* aioice checks consent (RFC 7675) every 5 s and gives up after 6 misses,
  so a dead path is noticed only after ~30 s. A room system must notice a
  network change about as fast as a browser (~5 s to "disconnected"), so
  :func:`set_consent_checks` sets both (the engine calls it with its
  :class:`~appliance.media.recovery.IceRestartPolicy`).
* aioice leaves 127.0.0.1 out of its host candidates. The demo and the tests
  run node and appliance on one machine with no other network, so they call
  :func:`use_host_addresses` (``["127.0.0.1"]``) before gathering. On a room
  system it is left unset and aioice's own interface list is used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer

_lock = threading.Lock()
_override: list[str] | None = None
_original: Callable[[bool, bool], list[str]] | None = None


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    override = _override
    if override is not None:
        return [a for a in override if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]
    assert _original is not None
    return _original(use_ipv4, use_ipv6)


def use_host_addresses(addresses: Iterable[str] | None) -> None:
    """Gather host candidates only on ``addresses`` (``None`` restores aioice's choice).

    Process-wide, because aioice reads its interface list from a module
    function; set it once at start-up (the demo and the test fixtures do).
    """
    global _override, _original
    with _lock:
        if _original is None:
            _original = aioice.ice.get_host_addresses
            aioice.ice.get_host_addresses = _host_addresses
        _override = list(addresses) if addresses is not None else None


def set_consent_checks(interval_s: float, failures: int) -> None:
    """Check consent every ``interval_s`` (±20 %) and fail after ``failures`` misses in a row.

    Process-wide, like :func:`use_host_addresses`: aioice reads both from
    module constants on every check.
    """
    if interval_s <= 0 or failures < 1:
        raise ValueError(
            f"consent checks need interval_s > 0 and failures >= 1, not {interval_s}, {failures}"
        )
    aioice.ice.CONSENT_INTERVAL = interval_s  # type: ignore[assignment]
    aioice.ice.CONSENT_FAILURES = failures


def consent_checks() -> tuple[float, int]:
    return float(aioice.ice.CONSENT_INTERVAL), int(aioice.ice.CONSENT_FAILURES)


def rtc_configuration(
    stun: Sequence[str | Mapping[str, Any]] = (),
    turn: Sequence[Mapping[str, Any]] = (),
) -> RTCConfiguration:
    """Build an ``RTCConfiguration`` from the node's and the site's server lists.

    ``stun`` takes URLs or the node's ``{"url": ...}`` objects; ``turn`` takes
    the node's ``{"urls": [...], "username", "credential"}`` objects or the
    PexRTC ``turn_server`` form ``{"url": ..., ...}``. An empty list means no
    server at all: aiortc's public default is never used.
    """
    servers: list[RTCIceServer] = []
    seen: set[tuple[tuple[str, ...], str | None, str | None]] = set()

    def add(urls: Any, username: Any = None, credential: Any = None) -> None:
        key = ((urls,) if isinstance(urls, str) else tuple(urls), username, credential)
        if key not in seen:  # the node and the site may name the same server
            seen.add(key)
            servers.append(RTCIceServer(urls=urls, username=username, credential=credential))

    for entry in stun:
        if isinstance(entry, str):
            url: Any = entry
        else:
            url = entry.get("urls", entry.get("url"))
        if url:
            add(url)
    for entry in turn:
        urls = entry.get("urls", entry.get("url"))
        if not urls:
            continue
        add(urls, entry.get("username"), entry.get("credential"))
    return RTCConfiguration(iceServers=servers)
