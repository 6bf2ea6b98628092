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


async def scene_votes(cast: Cast) -> None:
    """The PPT opens a no-objection vote; Guatemala objects with a reason; closed with /close."""
    run, lucia = cast.run, cast["lucia"]
    await lucia.send(
        "/vote no-objection\n"
        "EN: Do you approve the 2026 work plan of the Technical Secretariat?\n"
        "ES: ¿Aprueba usted el plan de trabajo 2026 de la Secretaría Técnica?"
    )
    await run.settle()
    await lucia.press("Enviar")
    await run.settle()
    await cast["victor"].press("No objection")
    await cast["omar"].press("Objetar")
    await run.settle()
    await cast["omar"].send("El presupuesto aún no ha sido aprobado por nuestro Congreso.")
    await run.settle()
    await lucia.send("/status V1")
    await lucia.send("/close V1")


# A small PDF: enough for the bot's checks (type and signature) and for a reader.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)


async def scene_meetings(cast: Cast) -> None:
    """Meetings: the TS registers an RCGM meeting and sends its financial report in time;
    focal points acknowledge it and confirm attendance; the TS sees the list."""
    run = cast.run
    tess, ana, omar = cast["tess"], cast["ana"], cast["omar"]
    day = run.services.clock.today() + timedelta(days=60)
    await tess.send(
        f"/meeting rcgm {day.isoformat()} San Salvador\n"
        "EN: First regular RCGM meeting\nES: Primera reunión ordinaria del GRCM"
    )
    await run.settle()
    await tess.send("/report M1")
    await run.settle()
    await tess.send_document(DEMO_PDF, "TS-financial-report.pdf")
    await run.settle()
    await tess.press("Send")
    await run.settle()
    await ana.press("Recibido")
    await omar.press("Recibido")
    await run.settle()
    await tess.send(f"/meeting M1 attendance {(day - timedelta(days=10)).isoformat()}")
    await run.settle()
    await tess.press("Send")
    await run.settle()
    await ana.press("Asistiremos")
    await run.settle()
    await ana.send("2")
    await run.settle()
    await ana.send("Ana Torres\nLuis Méndez")
    await omar.press("No asistiremos")
    await run.settle()
    await tess.send("/status M1")


async def scene_survey(cast: Cast) -> None:
    """Survey on the Coordinator's performance: the TS opens it; Mexico answers in Spanish
    (going back to change an answer), the United States in English; the TS closes it and the
    results (message, chart, export) reach the TS and the PPT, each in their language."""
    run = cast.run
    tess, ana, victor = cast["tess"], cast["ana"], cast["victor"]

    async def press(user: SimUser, *labels: str) -> None:
        for label in labels:
            await user.press(label)
            await run.settle()

    await tess.send("/survey coordinator")
    await run.settle()
    await press(tess, "Send")
    match = re.search(r"/status (S\d+)", await last_text(tess))
    if match is None:
        raise RuntimeError("the survey was not opened")
    survey = match.group(1)
    await press(ana, "Responder por mi país", "4", "« Atrás", "3", "4", "5", "4")
    await ana.send("Buen apoyo a la Presidencia Pro Tempore; los informes podrían llegar antes.")
    await run.settle()
    await press(ana, "Enviar")
    await press(victor, "Answer for my state", "4", "4", "3", "5", "Skip", "Submit")
    await tess.send(f"/status {survey}")
    await run.settle()
    await tess.send(f"/close {survey}")


async def scene_broadcasts(cast: Cast) -> None:
    """The TS announces to all in both languages; recipients acknowledge; the TS checks
    /status and reminds those who have not; then a vacancy notice (SPEC 2.1, 2.2)."""
    run, tess = cast.run, cast["tess"]
    await tess.send(
        "/announce all\n"
        "EN: The RCGM meeting moves to 15 July. Agenda & logistics follow.\n"
        "ES: La reunión del GRCM pasa al 15 de julio. La agenda y la logística se enviarán después."
    )
    await run.settle()
    await tess.press("Send")
    await run.settle()
    for name, label in [("ana", "Recibido"), ("victor", "Received")]:
        await cast[name].press(label)
        await run.settle()
    await tess.send("/status A1")
    await run.settle()
    reminder = next(
        b.label
        for m in reversed(tess.bot_messages())
        for row in m.buttons
        for b in row
        if b.label.startswith("Remind")
    )
    await tess.press(reminder)
    await run.settle()
    await cast["lucia"].press("Recibido")
    await run.settle()
    await tess.send(
        "/vacancy https://rcm.example.org/en/ts-coordinator "
        "https://rcm.example.org/es/coordinador-st\n"
        "EN: Coordinator of the Technical Secretariat\n"
        "ES: Coordinador(a) de la Secretaría Técnica"
    )
    await run.settle()
    await tess.press("Send")
    await run.settle()
    await cast["omar"].press("Recibido")
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
SCENES: list[Scene] = [
    scene_joining,
    scene_broadcasts,
    scene_meetings,
    scene_votes,
    scene_survey,
    scene_deadlines,
]


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
