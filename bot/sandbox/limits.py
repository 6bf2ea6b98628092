"""Telegram's flood limits, simulated on the wall clock the sandbox is given.

All bookkeeping uses the injected ``now()`` (wall-clock seconds) so that tests which
freeze or travel time with time-machine see deterministic limits.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.sandbox.errors import too_many_requests


@dataclass(frozen=True)
class Limits:
    """Flood-limit settings; replace ``server.limits`` at run time to change them.

    ``per_chat_burst`` is how many messages one chat may receive back to back before a
    429; after that a chat regains ``per_chat_per_second`` messages each second.
    """

    global_per_second: int = 30
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 1
    per_group_per_minute: int = 20
    enabled: bool = True


@dataclass
class _Bucket:
    tokens: float
    updated: float


def _retry_after(wait: float) -> int:
    # Telegram never answers "retry after 0"; round the wait up to whole seconds.
    return max(1, math.ceil(wait - 1e-9))


class FloodControl:
    """Sliding windows (global, per group) and a token bucket per chat, for one server."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._global: dict[int, deque[float]] = {}
        self._groups: dict[tuple[int, int], deque[float]] = {}
        self._chats: dict[tuple[int, int], _Bucket] = {}

    def reset(self) -> None:
        self._global.clear()
        self._groups.clear()
        self._chats.clear()

    def acquire(self, limits: Limits, bot_id: int, chat_id: int, *, is_group: bool) -> None:
        """Count one outgoing message, or raise a 429 ApiError if it is over a limit."""
        if not limits.enabled:
            return
        now = self._now()
        wait = 0.0

        sent = self._global.setdefault(bot_id, deque())
        _trim(sent, now - 1.0)
        if len(sent) >= limits.global_per_second:
            wait = max(wait, sent[-limits.global_per_second] + 1.0 - now)

        bucket = self._chats.get((bot_id, chat_id))
        capacity = float(max(1, limits.per_chat_burst))
        if bucket is None:
            bucket = _Bucket(tokens=capacity, updated=now)
        elapsed = max(0.0, now - bucket.updated)
        tokens = min(capacity, bucket.tokens + elapsed * limits.per_chat_per_second)
        if tokens < 1.0:
            rate = limits.per_chat_per_second
            wait = max(wait, (1.0 - tokens) / rate if rate > 0 else 3600.0)

        group_sent: deque[float] | None = None
        if is_group:
            group_sent = self._groups.setdefault((bot_id, chat_id), deque())
            _trim(group_sent, now - 60.0)
            if len(group_sent) >= limits.per_group_per_minute:
                wait = max(wait, group_sent[-limits.per_group_per_minute] + 60.0 - now)

        if wait > 0:
            raise too_many_requests(_retry_after(wait))

        sent.append(now)
        self._chats[(bot_id, chat_id)] = _Bucket(tokens=tokens - 1.0, updated=now)
        if group_sent is not None:
            group_sent.append(now)


def _trim(window: deque[float], horizon: float) -> None:
    while window and window[0] <= horizon:
        window.popleft()
