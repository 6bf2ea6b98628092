"""The two things the contract asks of other capabilities: opening the performance survey
(bot.surveys) and the majority vote on the extension (bot.votes).

They are imported when called, so that this code neither depends on those capabilities at
import time nor fails type checking without them.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import Services
from bot.text import Bi


async def open_performance_survey(
    services: Services,
    session: AsyncSession,
    *,
    deadline: datetime,
    now: datetime,
    origin: str,
) -> Any:
    """The ready-made survey on the Coordinator's performance (000_80de73a49c3b69ea.txt:
    "a simple survey (i.e. 5 questions)"), opened by the bot itself."""
    surveys = importlib.import_module("bot.surveys")
    return await surveys.open_from_template(
        services, session, opened_by=None, deadline=deadline, now=now, origin=origin
    )


async def open_extension_vote(
    services: Services,
    session: AsyncSession,
    *,
    question: Bi,
    deadline: datetime,
    now: datetime,
    origin: str,
) -> Any:
    """000_80de73a49c3b69ea.txt: "each annual extension approved by a majority of Member
    States"."""
    votes = importlib.import_module("bot.votes")
    return await votes.open_vote(
        services,
        session,
        opened_by=None,
        rule=votes.VoteRule.MAJORITY,
        question=question,
        deadline=deadline,
        now=now,
        origin=origin,
    )
