"""Refreshing a token before it expires: the one retry loop behind every token the client holds.

A conference token (:class:`~appliance.infinity.session.InfinitySession`)
and a device registration token
(:class:`~appliance.infinity.registration.Registration`) are kept alive the
same way (reference §2): refresh at a fraction of the lifetime, and when a
refresh fails, try again with the client's ``refresh_retry`` backoff for as
long as the old token is still valid. A 403 ``Invalid token`` ends it at
once: the node has forgotten the token and no retry brings it back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from appliance.backoff import Backoff
from appliance.infinity.errors import InfinityError, InvalidToken, TokenExpired


async def refresh_before_expiry(
    refresh: Callable[[], Awaitable[object]],
    *,
    deadline: float,
    backoff: Backoff,
    clock: Callable[[], float],
    operation: str,
    what: str,
    log: logging.Logger | logging.LoggerAdapter[logging.Logger],
    give_up_on: tuple[type[InfinityError], ...] = (),
) -> None:
    """Call ``refresh`` until it succeeds; retry failures while a retry can land before ``deadline``.

    Raises :class:`TokenExpired` (``operation``) when the next retry would
    come too late, and re-raises :class:`InvalidToken` and ``give_up_on``
    errors at once. ``what`` names the token in the log and the error.
    """
    final: tuple[type[BaseException], ...] = (InvalidToken, *give_up_on)
    attempt = 0
    while True:
        try:
            await refresh()
            return
        except final:
            raise
        except InfinityError as exc:
            attempt += 1
            delay = backoff.delay(attempt)
            if clock() + delay >= deadline:
                raise TokenExpired(
                    operation, f"could not refresh the {what} before it expired ({exc})"
                ) from None
            log.warning("%s refresh failed (%s); retry in %.1f s", what, exc, delay)
            await asyncio.sleep(delay)
