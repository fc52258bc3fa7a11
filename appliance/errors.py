"""One root for every error the product raises on purpose.

Each layer has its own base so that callers can catch a whole layer
(``except InfinityError``) while builtin co-parents keep ordinary
``except ConnectionError`` / ``except TimeoutError`` code working, as
aiohttp's ``ClientOSError(ClientConnectionError, OSError)`` does.
Messages carry the state that explains the failure; the CLI adds the
remedy at the edge.
"""

from __future__ import annotations


class ApplianceError(Exception):
    """Root of every deliberate error in :mod:`appliance`."""


class ConfigError(ApplianceError, ValueError):
    """A configuration or hardware-profile file is wrong.

    ``file`` and ``key`` locate the problem; ``expected`` and ``found``
    say what was wrong, so the message reads
    ``site.toml: [node] address: expected a host name, found 42``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        self.file = file
        self.key = key
        self.expected = expected
        self.found = found
        super().__init__(message)


class InfinityError(ApplianceError):
    """The conferencing node refused or failed an operation."""


class MediaError(ApplianceError):
    """A media device, codec or WebRTC transport failed."""


class DeviceError(ApplianceError):
    """Room hardware (GPIO, serial camera, USB device) failed."""


class NotSupported(ApplianceError, NotImplementedError):
    """A capability this product or this hardware does not have.

    Raised loudly instead of pretending, with a message that says what is
    missing and, where there is one, what to use instead.
    """
