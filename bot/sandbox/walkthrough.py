"""`python -m bot sandbox`: the bot, for real, against the local Bot API sandbox.

No token needed. It creates a temporary database, a TS administrator and people of several
states in both languages, plays the main flows as scenes (each capability adds its own),
and prints every chat's transcript. `--keep` leaves the sandbox running for curl.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from bot import db
from bot.sandbox.runner import BOT_USERNAME, TOKEN, SandboxRun
from bot.sandbox.users import SimUser


@dataclass
class Cast:
    """The people of the walkthrough, by name."""

    run: SandboxRun
    people: dict[str, SimUser] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> SimUser:
        return self.people[name]

    def add(self, name: str, user: SimUser, label: str) -> SimUser:
        self.people[name], self.labels[name] = user, label
        return user


Scene = Callable[[Cast], Awaitable[None]]


def invitation_token(text: str) -> str:
    match = re.search(rf"https://t\.me/{BOT_USERNAME}\?start=([A-Za-z0-9_-]+)", text)
    if match is None:
        raise RuntimeError(f"no invitation link in: {text}")
    return match.group(1)


async def last_text(user: SimUser) -> str:
    message = await user.last_message()
    return message.text or message.caption or "" if message else ""


async def scene_joining(cast: Cast) -> None:
    """The TS sets the PPT, invites a focal point (Spanish) and a Vice-Minister (English)."""
    run = cast.run
    tess, _ = await run.person("tess", "ts", lang="en", first_name="Tess", last_name="(TS)")
    cast.add("tess", tess, "Tess, Technical Secretariat (English)")
    await tess.send("/ppt CR")
    for name, first, lang, state, roles, label in [
        ("ana", "Ana", "es", "MX", "focal_point", "Ana, focal point of Mexico (Spanish)"),
        ("victor", "Victor", "en", "US", "vice_minister", "Victor, Vice-Minister, US (English)"),
        ("lucia", "Lucía", "es", "CR", "vice_minister", "Lucía, Vice-Minister, Costa Rica (PPT)"),
        ("omar", "Omar", "es", "GT", "focal_point,vice_minister", "Omar, Guatemala (Spanish)"),
    ]:
        await tess.send(f"/invite {state} {roles}")
        token = invitation_token(await last_text(tess))
        person = cast.add(name, run.user(name, lang=lang, first_name=first), label)
        await person.send(f"/start {token}")
    await cast["lucia"].send("/status")
    stranger = cast.add("eve", run.user("eve", lang="fr", first_name="Eve"), "Eve, a stranger")
    await stranger.send("Hola, ¿quién eres?")
    await run.settle()


def _next_july_15(today: date) -> str:
    year = today.year if today < date(today.year, 7, 1) else today.year + 1
    return date(year, 7, 15).isoformat()


async def scene_deadlines(cast: Cast) -> None:
    """Deadlines: the TS sets one, focal points see /deadlines and the .ics; /contract."""
    tess, ana, omar = cast["tess"], cast["ana"], cast["omar"]
    today = cast.run.services.clock.today()
    await tess.send(
        f"/deadline {_next_july_15(today)} role:focal_point\n"
        "EN: Send information on migrant women\n"
        "ES: Enviar información sobre mujeres migrantes"
    )
    await last_text(tess)
    await tess.press("Send")
    await last_text(ana)
    await ana.send("/deadlines")
    await ana.send("/calendar")
    await last_text(omar)
    await omar.press("Hecho")
    await cast.run.settle()
    await tess.send("/status D1")
    start = today - timedelta(days=30)
    await tess.send(f"/contract {start.isoformat()}")
    await cast.run.settle()


# Each capability appends its scene; they run in this order on the same cast.
SCENES: list[Scene] = [scene_joining, scene_deadlines]


async def play(folder: Path, *, keep: bool, out: Callable[[str], None] = print) -> int:
    url = f"sqlite+aiosqlite:///{folder / 'sandbox.db'}"
    await db.upgrade_async(url)
    run = SandboxRun(url, folder)
    await run.start()
    cast = Cast(run)
    try:
        for scene in SCENES:
            out(f"\n=== {scene.__doc__ or scene.__name__} ===")
            await scene(cast)
        await run.settle()
        for name, user in cast.people.items():
            out(f"\n--- {cast.labels[name]} ---")
            out(user.transcript())
        if keep:
            out(f"\nSandbox running at {run.server.url}")
            out(f"Bot API: {run.server.base_url}{TOKEN}/getMe   (Ctrl+C to stop)")
            await _wait_for_signal()
    finally:
        await run.stop()
    return 0


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def main(*, keep: bool = False) -> int:
    from bot import logs

    logs.setup("WARNING")
    with tempfile.TemporaryDirectory(prefix="rcm-sandbox-") as folder:
        try:
            return asyncio.run(play(Path(folder), keep=keep))
        except KeyboardInterrupt:
            return 0
        except Exception as exc:
            print(f"sandbox walkthrough failed: {exc!r}", file=sys.stderr)
            return 1
