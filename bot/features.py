"""A capability as the composition root sees it: its handlers, dialogs, subjects, deadline
kinds and commands. Each `handlers/<feature>.py` exposes one `FEATURE`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from bot.ids import Subject

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.deadlines import DeadlineKind
    from bot.dialogs import Dialog
    from bot.models.votes import Vote
    from bot.services import Services
    from bot.votes import VoteOutcome

    # What another capability does when a vote it opened closes (e.g. the contract records
    # the extension); it finds its votes by `Vote.origin`.
    VoteClosedListener = Callable[
        [Services, AsyncSession, Vote, VoteOutcome, datetime], Awaitable[None]
    ]


class Audience(StrEnum):
    """Who sees a command in Telegram's menu and in /help."""

    EVERYONE = "everyone"
    ADMIN = "admin"  # the TS and the PPT (SPEC section 3)
    TS = "ts"  # the TS only


@dataclass(frozen=True)
class CommandInfo:
    name: str
    description: str  # marked with N_, translated when the menu is set
    audience: Audience = Audience.EVERYONE


@dataclass(frozen=True)
class Feature:
    name: str
    handlers: Sequence[Any] = ()  # telegram.ext handlers, added in group 0
    dialogs: Sequence[Dialog] = ()
    subjects: Sequence[Subject] = ()
    deadline_kinds: Sequence[DeadlineKind] = ()
    commands: Sequence[CommandInfo] = ()
    vote_listeners: Sequence[VoteClosedListener] = ()
    # Handlers that must see updates only after every feature's own (fallbacks).
    late_handlers: Sequence[Any] = field(default_factory=tuple)


def discover(package: str = "handlers") -> list[Feature]:
    """Every `FEATURE` in the handlers package, in module-name order (no registration at
    import time: the composition root asks for them)."""
    root = importlib.import_module(package)
    features = []
    for module in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"{package}.{module.name}")
        feature = getattr(loaded, "FEATURE", None)
        if isinstance(feature, Feature):
            features.append(feature)
    return features
