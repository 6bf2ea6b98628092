"""Background asyncio tasks: ending one."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel(task: asyncio.Future[Any] | None) -> None:
    """Cancel `task` (if any) and wait until it has ended: a stop that returns leaves nothing
    of it running."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
