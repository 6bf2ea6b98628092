"""Writing to the append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models.audit import AuditEntry


async def record(
    session: AsyncSession,
    *,
    action: str,
    now: datetime,
    actor_id: int | None = None,
    subject: str | None = None,
    **details: Any,
) -> AuditEntry:
    """Append one entry in the caller's transaction: it lands with the change it describes."""
    entry = AuditEntry(at=now, actor_id=actor_id, action=action, subject=subject, details=details)
    session.add(entry)
    await session.flush()
    return entry
