"""asyncio primitives the layers share.

Small on purpose: only what several layers need in exactly the same form.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any] | None]) -> None:
    """Cancel background tasks and wait until each has really finished.

    Closing an object must not return while its tasks still run (they would
    touch a closed peer connection or session), and a task's own failure is
    no reason to leave the others running: its exception was the task's to
    report, so it is dropped here. Cancelling the caller still propagates.
    """
    pending = [task for task in tasks if task is not None and not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
