"""/vacancy: vacancy notices (SPEC 2.2 and section 3).

    /vacancy <english-url> <spanish-url> [closing-date] [min-applicants]
    EN: title (optional)
    ES: título (opcional)

    /vacancy N2 applications 4      record the applications received so far
    /vacancy N2 extend 2026-05-10   extend (the notice is sent again with the new date)
    /vacancy N2 readvertise [date]  post a closed notice again, as a new one
    /vacancy N2 close               close a notice without extending it

Without arguments the bot asks for each part. Whatever goes to the member states is
previewed and goes only on a press of "Send".
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlmodel import select
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import dialogs, receipts, vacancies
from bot.dialogs import BaseDialog
from bot.errors import InputError
from bot.features import Audience, CommandInfo, Feature
from bot.i18n import N_
from bot.ids import VACANCY, Subject, parse_id
from bot.models.dialogs import Draft
from bot.models.receipts import Receipt
from bot.models.vacancies import Vacancy, VacancyStatus
from bot.outbox import Content
from bot.parsing import looks_like_date, parse_date, parse_int, parse_url, split_command
from bot.permissions import Action, can
from bot.text import Bi, Button, Day, Join, Node, Plural, Tr, When, keyboard
from bot.updates import Turn, handler
from handlers import preview
from handlers.announce import export_receipts

NAME = "vacancy"
BUTTONS = r"^vac:\d{1,9}:(apps|ext:\d{1,3}:\d{1,4}|close:\d{1,4}|again:\d{1,4})$"
_ACTIONS = {"applications", "extend", "readvertise", "close"}
_SHORT_ID = re.compile(r"^[A-Za-z]\d{1,9}$")


def _today(turn: Turn) -> date:
    return turn.services.clock.local(turn.now).date()


# ---- /vacancy ------------------------------------------------------------------------


async def vacancy_command(turn: Turn) -> None:
    turn.require(Action.VACANCY)
    command = turn.command
    args = command.args
    if not args:
        await dialogs.begin(turn, NAME, "url_en", kind="post")
        await turn.reply(Tr("Send the link to the vacancy notice in <b>English</b>."))
        return
    if _SHORT_ID.match(args[0]):
        await _on_existing(turn, args)
        return
    if len(args) < 2:
        raise InputError(
            Tr(
                "Write /vacancy, the link in English, the link in Spanish, and optionally the "
                "closing date and the minimum number of applicants."
            )
        )
    closes_on: date | None = None
    minimum: int | None = None
    for arg in args[2:]:
        if looks_like_date(arg) and closes_on is None:
            closes_on = parse_date(arg)
        elif arg.isdigit() and minimum is None:
            minimum = parse_int(
                arg,
                minimum=1,
                maximum=vacancies.MAX_APPLICANTS,
                what=Tr("The minimum number of applicants"),
            )
        else:
            raise InputError(Tr("I did not understand {text}.", text=arg))
    title = None
    if command.english or command.spanish:
        title = command.bilingual(what=Tr("The title"))
    data: dict[str, Any] = {
        "kind": "post",
        "url_en": args[0],
        "url_es": args[1],
        "closes_on": closes_on.isoformat() if closes_on else None,
        "minimum": minimum,
        "title_en": title.en if title else None,
        "title_es": title.es if title else None,
    }
    draft = await dialogs.begin(turn, NAME, "confirm", **data)
    await _preview(turn, draft)


async def _on_existing(turn: Turn, args: list[str]) -> None:
    prefix, number = parse_id(args[0])
    if prefix != VACANCY:
        raise InputError(Tr("{text} is not a vacancy notice.", text=args[0]))
    _, actor = turn.known
    action = args[1].lower() if len(args) > 1 else None
    if action is None:
        status = await status_of(turn, number)
        await turn.reply(status.body, status.buttons)
        return
    if action not in _ACTIONS:
        raise InputError(
            Tr(
                "What should I do with {id}? Write applications, extend, readvertise or close "
                "after it.",
                id=vacancies.name(number),
            )
        )
    rest = args[2:]
    if action == "applications":
        if not rest:
            await _ask_applications(turn, number)
            return
        await _record(turn, number, rest[0])
    elif action == "extend":
        vacancy = await vacancies.get(turn.session, number)
        if not rest:
            raise InputError(
                Tr(
                    "Write the new closing date after extend, for example /vacancy {id} extend "
                    "2026-05-10.",
                    id=vacancies.name(number),
                )
            )
        await _begin_extension(turn, vacancy, parse_date(rest[0]))
    elif action == "readvertise":
        vacancy = await vacancies.get(turn.session, number)
        await _begin_readvertising(turn, vacancy, parse_date(rest[0]) if rest else None)
    else:
        await vacancies.close(turn.services, turn.session, actor, number, now=turn.now)
        await turn.reply(Tr("{id} is closed.", id=vacancies.name(number)))


async def _record(turn: Turn, number: int, text: str) -> None:
    _, actor = turn.known
    count = parse_int(text, minimum=0, maximum=100_000, what=Tr("The number of applications"))
    vacancy = await vacancies.record_applications(turn.session, actor, number, count, now=turn.now)
    lines: list[Node] = [
        Plural(
            "Recorded: {n} application for {id}.",
            "Recorded: {n} applications for {id}.",
            count,
            id=vacancies.name(number),
        )
    ]
    if vacancy.min_applicants is not None:
        lines.append(Tr("The minimum is {minimum}.", minimum=vacancy.min_applicants))
    await turn.reply(Join(lines))


async def _ask_applications(turn: Turn, number: int) -> None:
    await vacancies.get(turn.session, number)
    await dialogs.begin(turn, NAME, "applications", number=number)
    await turn.reply(
        Tr(
            "How many applications have arrived for {id}? Send the number.",
            id=vacancies.name(number),
        )
    )


async def _begin_extension(turn: Turn, vacancy: Vacancy, closes_on: date) -> None:
    assert vacancy.id is not None
    if vacancy.status not in (VacancyStatus.OPEN, VacancyStatus.BELOW_MINIMUM):
        raise InputError(Tr("{id} is already closed.", id=vacancies.name(vacancy.id)))
    vacancies.extended_copy(vacancy, closes_on, _today(turn))
    draft = await dialogs.begin(
        turn, NAME, "confirm", kind="extend", number=vacancy.id, closes_on=closes_on.isoformat()
    )
    await _preview(turn, draft)


async def _begin_readvertising(turn: Turn, vacancy: Vacancy, closes_on: date | None) -> None:
    vacancies.readvertised_copy(
        vacancy, closes_on=closes_on, today=_today(turn), now=turn.now, posted_by_id=None
    )
    draft = await dialogs.begin(
        turn,
        NAME,
        "confirm",
        kind="again",
        number=vacancy.id,
        closes_on=closes_on.isoformat() if closes_on else None,
    )
    await _preview(turn, draft)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


async def _composed(turn: Turn, data: dict[str, Any]) -> tuple[Vacancy, bool]:
    """The notice as it would go out, checked; and whether it is an extension."""
    kind = data["kind"]
    if kind == "post":
        title = None
        if data.get("title_en") or data.get("title_es"):
            title = Bi(data.get("title_en") or "", data.get("title_es") or "")
        return (
            vacancies.build(
                url_en=data["url_en"],
                url_es=data["url_es"],
                closes_on=_date(data.get("closes_on")),
                min_applicants=data.get("minimum"),
                today=_today(turn),
                now=turn.now,
                title=title,
                posted_by_id=None,
            ),
            False,
        )
    vacancy = await vacancies.get(turn.session, data["number"])
    if kind == "extend":
        closes_on = _date(data["closes_on"])
        assert closes_on is not None
        return vacancies.extended_copy(vacancy, closes_on, _today(turn)), True
    return (
        vacancies.readvertised_copy(
            vacancy,
            closes_on=_date(data.get("closes_on")),
            today=_today(turn),
            now=turn.now,
            posted_by_id=None,
        ),
        False,
    )


async def _preview(turn: Turn, draft: Draft) -> None:
    notice, extended = await _composed(turn, draft.data)
    persons = await vacancies.recipients(turn.session)
    body = vacancies.notice_body(
        turn.services, notice, number=notice.id if extended else None, extended=extended
    )
    content = Content(body, keyboard([preview.received_button(NAME)]))
    turn.services.outbox.check(content)
    details: list[Node] = [
        Tr(
            "<b>Preview.</b> It goes to every Vice-Minister and focal point: {count} "
            "recipients, each in their own language.",
            count=len(persons),
        )
    ]
    if notice.min_applicants is not None:
        details.append(
            Tr("Minimum number of applicants: {minimum}.", minimum=notice.min_applicants)
        )
    await preview.show(turn, draft, Join(details), content)


async def _send(turn: Turn, draft: Draft) -> None:
    _, actor = turn.known
    data = draft.data
    kind = data["kind"]
    if kind == "post":
        notice, _ = await _composed(turn, data)
        vacancy = await vacancies.post_vacancy(
            turn.services,
            turn.session,
            posted_by=actor,
            url_en=notice.url_en,
            url_es=notice.url_es,
            closes_on=notice.closes_on,
            min_applicants=notice.min_applicants,
            now=turn.now,
            title=vacancies.title_of(notice),
        )
    elif kind == "extend":
        closes_on = _date(data["closes_on"])
        assert closes_on is not None
        vacancy = await vacancies.extend(
            turn.services, turn.session, actor, data["number"], closes_on, now=turn.now
        )
    else:
        vacancy = await vacancies.readvertise(
            turn.services,
            turn.session,
            actor,
            data["number"],
            closes_on=_date(data.get("closes_on")),
            now=turn.now,
        )
    await dialogs.end(turn)
    await turn.edit_pressed(
        Tr(
            "Sent as <b>{id}</b>; applications close on {when}. Record the applications with "
            "/vacancy {id} applications followed by the number; /status {id} shows who "
            "received it.",
            id=vacancies.name(vacancy.id),
            when=When(vacancies.closes_at(turn.services, vacancy)),
        )
    )
    turn.answer(Tr("Sent."))


class VacancyDialog(BaseDialog):
    name = NAME

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.VACANCY)
        value = turn.text.strip()
        step = draft.step
        if step == "url_en":
            await dialogs.save(turn, draft, "url_es", url_en=parse_url(value))
            await turn.reply(Tr("Now the link to the notice in <b>Spanish</b>."))
        elif step == "url_es":
            await dialogs.save(turn, draft, "closing", url_es=parse_url(value))
            await self._ask_closing(turn)
        elif step == "closing":
            closes_on = parse_date(value)
            vacancies.check_closing(_today(turn), closes_on)
            await dialogs.save(turn, draft, "minimum", closes_on=closes_on.isoformat())
            await self._ask_minimum(turn)
        elif step == "minimum":
            minimum = parse_int(
                value,
                minimum=1,
                maximum=vacancies.MAX_APPLICANTS,
                what=Tr("The minimum number of applicants"),
            )
            await dialogs.save(turn, draft, "title", minimum=minimum)
            await self._ask_title(turn)
        elif step == "title":
            title = split_command("\n" + value).bilingual(what=Tr("The title"))
            await dialogs.save(turn, draft, title_en=title.en, title_es=title.es)
            await _preview(turn, draft)
        elif step == "applications":
            await _record(turn, draft.data["number"], value)
            await dialogs.end(turn)
        else:
            await super().on_text(turn, draft)

    async def _ask_closing(self, turn: Turn) -> None:
        default = vacancies.default_closing(_today(turn))
        await turn.reply(
            Tr(
                "Closing date? Send it as YYYY-MM-DD, or take the usual 30 calendar days.",
            ),
            keyboard([dialogs.choice(NAME, "default", Tr("30 days: {day}", day=Day(default)))]),
        )

    async def _ask_minimum(self, turn: Turn) -> None:
        await turn.reply(
            Tr("Minimum number of applicants? Send a number, or choose no minimum."),
            keyboard([dialogs.choice(NAME, "nominimum", Tr("No minimum"))]),
        )

    async def _ask_title(self, turn: Turn) -> None:
        await turn.reply(
            Tr(
                "A title? Send it as two lines, EN: followed by the English and ES: followed by "
                "the Spanish."
            ),
            keyboard([dialogs.choice(NAME, "notitle", Tr("No title"))]),
        )

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        turn.require(Action.VACANCY)
        action, _, arg = value.partition(":")
        step = draft.step
        if action == "preview":
            preview.explain(turn)
        elif action == "default" and step == "closing":
            default = vacancies.default_closing(_today(turn))
            await dialogs.save(turn, draft, "minimum", closes_on=default.isoformat())
            await self._ask_minimum(turn)
        elif action == "nominimum" and step == "minimum":
            await dialogs.save(turn, draft, "title", minimum=None)
            await self._ask_title(turn)
        elif action == "notitle" and step == "title":
            await _preview(turn, draft)
        elif preview.pressed(draft, action, arg):
            if action == "cancel":
                await preview.cancel(turn)
                return
            await _send(turn, draft)
        else:
            raise InputError(Tr("That button is no longer active."))


# ---- buttons on the closing message and the status ---------------------------------------


async def vacancy_button(turn: Turn) -> None:
    _, actor = turn.known
    turn.require(Action.VACANCY)
    parts = turn.callback_data.split(":")
    number, action = int(parts[1]), parts[2]
    vacancy = await vacancies.get(turn.session, number)
    if action == "apps":
        await _ask_applications(turn, number)
        return
    seen = int(parts[-1])
    if vacancy.status != VacancyStatus.BELOW_MINIMUM or vacancy.extensions != seen:
        raise InputError(Tr("That button is no longer active."))
    if action == "ext":
        await _begin_extension(turn, vacancy, _today(turn) + timedelta(days=int(parts[3])))
    elif action == "again":
        await _begin_readvertising(turn, vacancy, None)
    else:
        await vacancies.close(turn.services, turn.session, actor, number, now=turn.now)
        await turn.reply(Tr("{id} is closed.", id=vacancies.name(number)))
        turn.answer(Tr("Closed."))


# ---- /status N2, /export N2 ------------------------------------------------------------


_STATUS_TEXT = {
    VacancyStatus.OPEN: N_("open"),
    VacancyStatus.BELOW_MINIMUM: N_("closed with fewer applications than the minimum"),
    VacancyStatus.CLOSED: N_("closed"),
    VacancyStatus.READVERTISED: N_("closed and posted again"),
}


async def status_of(turn: Turn, number: int) -> Content:
    _, actor = turn.known
    vacancy = await vacancies.get(turn.session, number)
    if not can(actor, Action.SEE_DELIVERY):
        return Content(await _own_view(turn, vacancy))
    lines: list[Node] = [
        vacancies.notice_body(turn.services, vacancy, number=number),
        "",
        Tr(
            "Posted {when}; status: {status}.",
            when=When(vacancy.posted_at),
            status=Tr(_STATUS_TEXT[VacancyStatus(vacancy.status)]),
        ),
        (
            Tr("Applications recorded: {count}.", count=vacancy.applications)
            if vacancy.applications is not None
            else Tr("No number of applications recorded yet.")
        ),
    ]
    if vacancy.min_applicants is not None:
        lines.append(Tr("The minimum is {minimum}.", minimum=vacancy.min_applicants))
    if vacancy.extensions:
        lines.append(Plural("Extended {n} time.", "Extended {n} times.", vacancy.extensions))
    again = (
        await turn.session.exec(select(Vacancy).where(Vacancy.readvertises_id == number))
    ).first()
    if again is not None:
        lines.append(Tr("Posted again as {id}.", id=vacancies.name(again.id)))
    report = await receipts.report(turn.session, vacancies.ref(number), every_state=True)
    lines.extend(["", receipts.report_text(report, names=False)])
    buttons: list[list[Button]] = []
    if can(actor, Action.VACANCY) and vacancy.status != VacancyStatus.READVERTISED:
        buttons.append([Button(Tr("Record applications"), data=f"vac:{number}:apps")])
        if vacancy.status == VacancyStatus.BELOW_MINIMUM:
            buttons.extend(vacancies.decision_buttons(vacancy))
    return Content(Join(lines), keyboard(*buttons) if buttons else None)


async def _own_view(turn: Turn, vacancy: Vacancy) -> Node:
    person, _ = turn.known
    assert vacancy.id is not None
    receipt = (
        await turn.session.exec(
            select(Receipt).where(
                Receipt.ref == vacancies.ref(vacancy.id), Receipt.person_id == person.id
            )
        )
    ).first()
    if receipt is None:
        raise InputError(Tr("There is no vacancy notice {id}.", id=vacancies.name(vacancy.id)))
    return vacancies.notice_body(turn.services, vacancy, number=vacancy.id)


async def status(turn: Turn, number: int) -> Node | Content:
    return await status_of(turn, number)


async def export(turn: Turn, number: int) -> None:
    turn.require(Action.EXPORT)
    await vacancies.get(turn.session, number)
    await export_receipts(turn, vacancies.ref(number), vacancies.name(number))


async def open_items(turn: Turn) -> list[Node]:
    _, actor = turn.known
    if not can(actor, Action.VACANCY):
        return []
    return [
        Tr(
            "Vacancy notice {id}: {status}, closes on {day}.",
            id=vacancies.name(v.id),
            status=Tr(_STATUS_TEXT[VacancyStatus(v.status)]),
            day=Day(v.closes_on),
        )
        for v in await vacancies.open_for(turn.session)
    ]


FEATURE = Feature(
    name=NAME,
    handlers=[
        CommandHandler("vacancy", handler(vacancy_command)),
        CallbackQueryHandler(handler(vacancy_button), pattern=BUTTONS),
    ],
    dialogs=[VacancyDialog()],
    subjects=[
        Subject(VACANCY, N_("vacancy notice"), status=status, export=export, open_items=open_items)
    ],
    deadline_kinds=[vacancies.VacancyDeadline()],
    commands=[CommandInfo("vacancy", N_("Post a vacancy notice"), Audience.TS)],
)
