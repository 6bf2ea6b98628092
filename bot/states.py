"""Member states: loaded from a data file, so another process brings its own list
(002_9138b89dd8fde4ed.txt: dozens of mechanisms share this structure; nothing is hard-wired
to the RCM's eleven)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import InputError
from bot.models.people import MemberState
from bot.text import Bi, Tr

DEFAULT_STATES_FILE = Path(__file__).resolve().parent / "data" / "states_rcm.json"
_CODE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class StateEntry:
    code: str
    name_en: str
    name_es: str


def read_states_file(path: Path) -> list[StateEntry]:
    """Parse and check a states file: `{"states": [{"code": "MX", "en": ..., "es": ...}]}`."""
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = []
    seen: set[str] = set()
    for item in data["states"]:
        code = str(item["code"]).upper()
        if not _CODE.match(code):
            raise ValueError(f"{path}: {code!r} is not an ISO 3166 alpha-2 code")
        if code in seen:
            raise ValueError(f"{path}: {code} appears twice")
        if not item.get("en") or not item.get("es"):
            raise ValueError(f"{path}: {code} needs both an English and a Spanish name")
        seen.add(code)
        entries.append(StateEntry(code, str(item["en"]), str(item["es"])))
    if not entries:
        raise ValueError(f"{path}: no states")
    return entries


async def load_states(session: AsyncSession, entries: Sequence[StateEntry]) -> int:
    """Insert or update the states by code; states missing from the list are deactivated
    (never deleted: votes and reports keep pointing at them). Returns how many are active."""
    existing = {s.code: s for s in (await session.exec(select(MemberState))).all()}
    wanted = {e.code for e in entries}
    for position, entry in enumerate(entries):
        state = existing.get(entry.code) or MemberState(
            code=entry.code, name_en=entry.name_en, name_es=entry.name_es
        )
        state.name_en, state.name_es = entry.name_en, entry.name_es
        state.position, state.active = position, True
        session.add(state)
    for code, state in existing.items():
        if code not in wanted and state.active:
            state.active = False
            session.add(state)
    await session.flush()
    return len(entries)


async def ensure_states(session: AsyncSession, path: Path | None) -> None:
    """On start: load the configured (or default) list when there is none yet."""
    if (await session.exec(select(MemberState.id).limit(1))).first() is None:
        await load_states(session, read_states_file(path or DEFAULT_STATES_FILE))


async def member_states(session: AsyncSession) -> list[MemberState]:
    """Active member states in their listed order."""
    result = await session.exec(
        select(MemberState).where(col(MemberState.active)).order_by(col(MemberState.position))
    )
    return list(result.all())


async def by_code(session: AsyncSession, code: str) -> MemberState:
    """The active state with this ISO code, or a clear error naming the known codes."""
    normalized = code.strip().upper()
    state = (
        await session.exec(
            select(MemberState).where(MemberState.code == normalized, col(MemberState.active))
        )
    ).first()
    if state is None:
        known = ", ".join(s.code for s in await member_states(session))
        raise InputError(
            Tr("Unknown member state {code}. Known codes: {known}.", code=code, known=known)
        )
    return state


async def by_codes(session: AsyncSession, codes: Sequence[str]) -> list[MemberState]:
    return [await by_code(session, code) for code in codes]


def state_name(state: MemberState) -> Bi:
    return Bi(state.name_en, state.name_es)
