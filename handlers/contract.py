"""/contract: the TS records the Coordinator's contract and sees what the bot derived from it
(SPEC 2.7 and 3).

- `/contract <start-date> [interim] [extensions-so-far]` records it (`/contract` alone shows
  the current one, or asks step by step when there is none);
- `/contract extended` / `/contract not-extended` record the outcome of the extension vote
  (or the buttons of the reminder that asks for it);
- `/contract resignation [last-day]` records a resignation (30 days' notice by default).
"""

from __future__ import annotations

from datetime import date

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import contract, dialogs
from bot.contract import ContractKind
from bot.contract_plan import MAX_EXTENSIONS
from bot.dialogs import BaseDialog
from bot.errors import InputError
from bot.features import Audience, CommandInfo, Feature
from bot.i18n import N_
from bot.ids import CONTRACT, Subject
from bot.models.contract import CoordinatorContract
from bot.models.dialogs import Draft
from bot.parsing import parse_date, parse_int
from bot.permissions import Action
from bot.text import Join, Node, Tr, keyboard
from bot.updates import Turn, handler

NAME = "contract"
# Words of the one-line form, in English and Spanish.
EXTENDED = {"extended", "extension", "prorrogado", "prorroga", "prórroga"}
NOT_EXTENDED = {"not-extended", "no-extension", "sin-prorroga", "sin-prórroga"}
RESIGNATION = {"resignation", "resigned", "renuncia"}
INTERIM = {"interim", "interino", "interina"}


def _usage() -> Node:
    return Tr(
        "Record the outcome of an extension vote with /contract extended or /contract "
        "not-extended, a resignation with /contract resignation [last day], a new contract "
        "with /contract followed by its start date (and interim, or the extensions so far)."
    )


async def _current(turn: Turn) -> CoordinatorContract:
    found = await contract.current(turn.session)
    if found is None:
        raise InputError(
            Tr("No contract is recorded yet. Record it with /contract followed by its start date.")
        )
    return found


async def contract_command(turn: Turn) -> None:
    person, actor = turn.known
    turn.require(Action.CONTRACT)
    args = turn.command.args
    if not args:
        found = await contract.current(turn.session)
        if found is None:
            await dialogs.begin(turn, NAME, "start")
            await turn.reply(_ask_start())
            return
        body = await contract.describe(turn.services, turn.session, found, turn.now)
        await turn.reply(Join([body, "", _usage()]))
        return
    word = args[0].lower()
    if word in EXTENDED or word in NOT_EXTENDED:
        await _decide(turn, await _current(turn), approved=word in EXTENDED, year=None)
    elif word in RESIGNATION:
        if len(args) > 2:
            raise InputError(_usage())
        leaves_on = parse_date(args[1]) if len(args) > 1 else None
        found = await contract.resign(
            turn.services,
            turn.session,
            actor,
            await _current(turn),
            leaves_on=leaves_on,
            now=turn.now,
            requested_by=person,
        )
        await _show(
            turn,
            found,
            Tr(
                "Resignation recorded. Every Vice-Minister is being told, and you will be "
                "reminded until the vacancy is announced."
            ),
        )
    else:
        interim, extensions = _options(args[1:])
        await _record(turn, parse_date(args[0]), interim, extensions)


def _options(words: list[str]) -> tuple[bool, int]:
    interim, extensions = False, 0
    for word in words:
        if word.lower() in INTERIM:
            interim = True
        elif word.isdigit():
            extensions = parse_int(
                word, minimum=0, maximum=MAX_EXTENSIONS, what=Tr("The number of extensions")
            )
        else:
            raise InputError(_usage())
    return interim, extensions


async def _record(turn: Turn, start: date, interim: bool, extensions: int) -> None:
    _, actor = turn.known
    recorded = await contract.record(
        turn.services,
        turn.session,
        actor,
        start=start,
        interim=interim,
        extensions=extensions,
        now=turn.now,
    )
    await _show(turn, recorded, Tr("Contract recorded. This is what follows from it:"))


async def _show(turn: Turn, found: CoordinatorContract, heading: Node) -> None:
    body = await contract.describe(turn.services, turn.session, found, turn.now)
    await turn.reply(Join([heading, "", body]))


async def _decide(
    turn: Turn, found: CoordinatorContract, *, approved: bool, year: int | None
) -> int:
    person, actor = turn.known
    decided = await contract.decide(
        turn.services,
        turn.session,
        actor,
        found,
        approved=approved,
        now=turn.now,
        year=year,
        requested_by=person,
    )
    heading = (
        Tr("Recorded: the contract is extended into year {year}.", year=decided + 1)
        if approved
        else Tr(
            "Recorded: the contract is not extended after year {year}. Every Vice-Minister is "
            "being told, and you will be reminded until the vacancy is announced.",
            year=decided,
        )
    )
    await _show(turn, found, heading)
    return decided


# ---- the buttons of the reminder -----------------------------------------------------------------


async def decision_pressed(turn: Turn) -> None:
    turn.require(Action.CONTRACT)
    parts = turn.callback_data.split(":")
    if (
        len(parts) != 4
        or not parts[1].isdigit()
        or not parts[2].isdigit()
        or parts[3] not in ("yes", "no")
    ):
        raise InputError(Tr("That button is no longer active."))
    found = await contract.get(turn.session, int(parts[1]))
    approved = parts[3] == "yes"
    await _decide(turn, found, approved=approved, year=int(parts[2]))
    turn.answer(Tr("Recorded."))
    await turn.edit_pressed(
        Tr("Extension approved: recorded.") if approved else Tr("Not extended: recorded.")
    )


# ---- step by step ------------------------------------------------------------------------------


def _ask_start() -> Node:
    return Tr(
        "No contract is recorded yet. When did the Coordinator's contract start? Send the date "
        "(YYYY-MM-DD or DD/MM/YYYY). /cancel stops."
    )


class ContractDialog(BaseDialog):
    name = NAME

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.CONTRACT)
        if draft.step != "start":
            await super().on_text(turn, draft)
            return
        start = parse_date(turn.text)
        await dialogs.save(turn, draft, "kind", start=start.isoformat())
        await turn.reply(
            Tr("Is this Coordinator interim?"),
            keyboard(
                [
                    dialogs.choice(NAME, "regular", Tr("Regular contract")),
                    dialogs.choice(NAME, "interim", Tr("Interim")),
                ]
            ),
        )

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        turn.require(Action.CONTRACT)
        start = date.fromisoformat(draft.data["start"])
        if draft.step == "kind" and value == "interim":
            await dialogs.end(turn)
            await _record(turn, start, True, 0)
        elif draft.step == "kind" and value == "regular":
            await dialogs.save(turn, draft, "extensions")
            await turn.reply(
                Tr("How many one-year extensions have been approved so far?"),
                keyboard(
                    [dialogs.choice(NAME, f"ext:{n}", str(n)) for n in range(MAX_EXTENSIONS + 1)]
                ),
            )
        elif draft.step == "extensions" and value.startswith("ext:") and value[4:].isdigit():
            await dialogs.end(turn)
            await _record(turn, start, False, int(value[4:]))
        else:
            await super().on_choice(turn, draft, value)


# ---- /status K1 --------------------------------------------------------------------------------


async def contract_status(turn: Turn, number: int) -> Node:
    turn.require(Action.CONTRACT)
    found = await contract.get(turn.session, number)
    return await contract.describe(turn.services, turn.session, found, turn.now)


FEATURE = Feature(
    name=NAME,
    handlers=[
        CommandHandler("contract", handler(contract_command)),
        CallbackQueryHandler(handler(decision_pressed), pattern=rf"^{contract.CALLBACK}:"),
    ],
    dialogs=[ContractDialog()],
    subjects=[Subject(CONTRACT, N_("contract"), contract_status)],
    deadline_kinds=[ContractKind()],
    vote_listeners=[contract.on_vote_closed],
    commands=[
        CommandInfo(
            "contract", N_("The Coordinator's contract and what follows from it"), Audience.TS
        )
    ],
)
