"""Fault injection: make the sandbox fail the way Telegram and the network sometimes do."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["5xx", "500", "502", "timeout", "timeout_after_apply", "429"]
FAULT_KINDS: frozenset[str] = frozenset(
    {"5xx", "500", "502", "timeout", "timeout_after_apply", "429"}
)
# Long polling would swallow faults meant for the bot's outgoing calls, so getUpdates is
# only affected when named explicitly.
_NOT_BY_DEFAULT = frozenset({"getUpdates"})


@dataclass(frozen=True)
class Fault:
    """One fault to apply to one call. ``kind`` is concrete: "5xx" resolves to 500/502."""

    kind: str
    retry_after: int = 1


@dataclass(frozen=True)
class InjectedFault:
    """Record of a fault that was applied."""

    method: str
    kind: str


@dataclass
class _Planned:
    kind: str
    methods: frozenset[str] | None
    retry_after: int


@dataclass
class _Rate:
    probability: float
    kinds: tuple[str, ...]
    methods: frozenset[str] | None
    retry_after: int
    rng: random.Random


def _applies(methods: frozenset[str] | None, method: str) -> bool:
    if methods is None:
        return method not in _NOT_BY_DEFAULT
    return method in methods


@dataclass
class FaultInjector:
    """``server.faults``: plan failures for the next calls or for a share of all calls.

    ``hold_seconds`` bounds how long a "timeout" fault keeps a request open when the
    client does not give up first.
    """

    hold_seconds: float = 30.0
    injected: Counter[str] = field(default_factory=Counter)
    log: list[InjectedFault] = field(default_factory=list)
    _planned: list[_Planned] = field(default_factory=list)
    _rate: _Rate | None = None
    _five_xx_flip: int = 0

    def fail_next(
        self,
        n: int = 1,
        kind: FaultKind = "5xx",
        *,
        methods: Iterable[str] | None = None,
        retry_after: int = 1,
    ) -> None:
        """Fail the next ``n`` calls (of ``methods``, default all but getUpdates)."""
        _check_kind(kind)
        wanted = frozenset(methods) if methods is not None else None
        self._planned.extend(_Planned(kind, wanted, retry_after) for _ in range(n))

    def fail_rate(
        self,
        p: float,
        kinds: Iterable[FaultKind],
        *,
        seed: int,
        methods: Iterable[str] | None = None,
        retry_after: int = 1,
    ) -> None:
        """Fail a random share ``p`` of calls with one of ``kinds`` (seeded, reproducible)."""
        if not 0.0 <= p <= 1.0:
            raise ValueError("p must be between 0 and 1")
        chosen = tuple(kinds)
        if not chosen:
            raise ValueError("kinds must not be empty")
        for kind in chosen:
            _check_kind(kind)
        wanted = frozenset(methods) if methods is not None else None
        self._rate = _Rate(p, chosen, wanted, retry_after, random.Random(seed))  # noqa: S311

    def clear(self) -> None:
        """Drop every planned fault and the random rate (counters are kept)."""
        self._planned.clear()
        self._rate = None

    @property
    def pending(self) -> int:
        return len(self._planned)

    def pick(self, method: str) -> Fault | None:
        """The fault to apply to this call, if any; consumes a planned one."""
        for index, planned in enumerate(self._planned):
            if _applies(planned.methods, method):
                del self._planned[index]
                return self._record(method, planned.kind, planned.retry_after)
        rate = self._rate
        if (
            rate is not None
            and _applies(rate.methods, method)
            and rate.rng.random() < rate.probability
        ):
            kind = rate.kinds[rate.rng.randrange(len(rate.kinds))]
            return self._record(method, kind, rate.retry_after)
        return None

    def _record(self, method: str, kind: str, retry_after: int) -> Fault:
        if kind == "5xx":
            # alternate so that both shapes of server error get exercised
            kind = "502" if self._five_xx_flip % 2 == 0 else "500"
            self._five_xx_flip += 1
        self.injected[kind] += 1
        self.log.append(InjectedFault(method, kind))
        return Fault(kind, retry_after)


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(FAULT_KINDS)}")
