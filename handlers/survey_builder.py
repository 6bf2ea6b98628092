"""Building a survey step by step (`/survey` for the TS and the PPT): the ready-made one on
the Coordinator's performance, edited or as it is, or a new one; then a preview in both
languages and "Send / Enviar" (SPEC 2.5 and section 3)."""

from __future__ import annotations

from datetime import datetime

from bot import dialogs, surveys
from bot.clock import as_utc
from bot.dialogs import BaseDialog, choice
from bot.models.dialogs import Draft
from bot.models.surveys import MAX_TEXT_ANSWER, QuestionKind
from bot.parsing import parse_deadline, split_command
from bot.permissions import Action
from bot.survey_content import (
    MAX_QUESTIONS,
    QuestionSpec,
    SurveySpec,
    check_question,
    check_questions,
    check_room,
    check_title,
    coordinator_template,
    default_labels,
    parse_labels,
)
from bot.survey_messages import (
    ANONYMITY,
    pack,
    short_id,
    survey_title,
)
from bot.text import Bi, Bold, Button, Join, Keyboard, Node, Plural, Tr, When, keyboard
from bot.updates import Turn

NAME = "survey"


def _bilingual(text: str, what: Tr) -> Bi:
    """A message of `EN: ...` and `ES: ...` lines (the one-line forms' blocks)."""
    return split_command("\n" + text).bilingual(what=what)


async def begin(turn: Turn) -> None:
    """`/survey`: which survey, then step by step."""
    await dialogs.begin(turn, NAME, "start")
    await turn.reply(_ask_kind(), _kind_buttons())


async def begin_with_template(turn: Turn, deadline: datetime) -> None:
    """`/survey coordinator [date]`: straight to the preview of the ready-made survey."""
    surveys.check_deadline(deadline, turn.now)
    draft = await dialogs.begin(
        turn,
        NAME,
        "preview",
        spec=coordinator_template().to_json(),
        deadline=deadline.isoformat(),
    )
    await _preview(turn, draft)


def _ask_kind() -> Node:
    return Tr(
        "Which survey? The ready-made one asks five questions on the Coordinator's "
        "performance, drawn from the Coordinator's role; you can use it as it is or edit it. "
        "/cancel stops."
    )


def _kind_buttons() -> Keyboard:
    return keyboard(
        [choice(NAME, "tpl", Tr("Coordinator's performance (ready-made)"))],
        [choice(NAME, "new", Tr("A new survey"))],
    )


def _ask_title() -> Node:
    return Tr(
        "Send the title in both languages, each on its own line:\n"
        "EN: Performance of the Coordinator 2026\n"
        "ES: Desempeño de la Coordinación 2026"
    )


def _ask_question(number: int) -> Node:
    return Tr(
        "Send question {number} in both languages, each on its own line, starting with EN: "
        "and ES:.",
        number=number,
    )


def _ask_question_kind() -> Node:
    return Tr("How is it answered?")


def _question_kind_buttons() -> Keyboard:
    return keyboard(
        [
            choice(NAME, "rating", Tr("Rating from 1 to 5")),
            choice(NAME, "text", Tr("Free text")),
        ]
    )


def _ask_labels() -> Node:
    low, high = default_labels()
    return Tr(
        "What do 1 and 5 mean? Press the button to use “{low}” and “{high}”, or send the two "
        "labels in both languages, for example:\n"
        "EN: Very poor | Excellent\n"
        "ES: Muy deficiente | Excelente",
        low=low,
        high=high,
    )


def _ask_deadline(turn: Turn) -> tuple[Node, Keyboard]:
    default = surveys.default_deadline(turn.services, turn.now)
    return (
        Tr("Until when may the states answer? Send a date (YYYY-MM-DD or DD/MM/YYYY)."),
        keyboard([choice(NAME, "default", When(default, with_time=False))]),
    )


def _spec(draft: Draft) -> SurveySpec:
    return SurveySpec.from_json(draft.data["spec"])


def _question_lines(number: int, question: QuestionSpec) -> Node:
    """A question as the TS checks it: both languages, and how it is answered."""
    if question.kind == QuestionKind.RATING and question.low and question.high:
        how: Node = Tr(
            "Rating: 1 = {low_en} / {low_es} … 5 = {high_en} / {high_es}",
            low_en=question.low.en,
            low_es=question.low.es,
            high_en=question.high.en,
            high_es=question.high.es,
        )
    else:
        how = Tr("Free text (up to {limit} characters; may be left empty)", limit=MAX_TEXT_ANSWER)
    return Join(
        [
            Join([Bold(f"{number}."), " EN: ", question.text.en], sep=""),
            Join(["ES: ", question.text.es], sep=""),
            how,
        ]
    )


def _spec_blocks(spec: SurveySpec) -> list[Node]:
    return [
        Join(
            [
                Bold(Tr("Title")),
                Join(["EN: ", spec.title.en], sep=""),
                Join(["ES: ", spec.title.es], sep=""),
            ]
        ),
        *(_question_lines(n, q) for n, q in enumerate(spec.questions, start=1)),
    ]


async def _reply_packed(turn: Turn, blocks: list[Node], buttons: Keyboard) -> None:
    """Long content in as many messages as Telegram needs; the buttons on the last one."""
    messages = pack(turn.services.outbox, blocks)
    for message in messages[:-1]:
        await turn.reply(message)
    await turn.reply(messages[-1], buttons)


async def _show_questions(turn: Turn, draft: Draft) -> None:
    spec = _spec(draft)
    rows: list[list[Button]] = [[choice(NAME, "ok", Tr("Use these questions"))]]
    edits = [
        choice(NAME, "edit", Tr("Edit a question")),
        choice(NAME, "title", Tr("Edit the title")),
    ]
    rows.append(edits)
    more = []
    if len(spec.questions) < MAX_QUESTIONS:
        more.append(choice(NAME, "add", Tr("Add a question")))
    if len(spec.questions) > 1:
        more.append(choice(NAME, "remove", Tr("Remove a question")))
    if more:
        rows.append(more)
    await dialogs.save(turn, draft, "questions")
    await _reply_packed(
        turn,
        [Tr("<b>The survey so far</b>"), *_spec_blocks(spec)],
        keyboard(*rows),
    )


async def _preview_blocks(turn: Turn, draft: Draft) -> list[Node]:
    spec = _spec(draft)
    deadline = _deadline(draft)
    assert deadline is not None
    reach = await surveys.reach(turn.session)
    audience: list[Node] = [
        Tr(
            "It goes to the focal points and Vice-Ministers of the {states} member states "
            "({persons} persons have joined); one answer per state.",
            states=reach.states,
            persons=reach.persons,
        )
    ]
    if reach.states_without_anyone:
        audience.append(
            Plural(
                "{n} state has no focal point or Vice-Minister registered yet and will not "
                "receive it.",
                "{n} states have no focal point or Vice-Minister registered yet and will not "
                "receive it.",
                reach.states_without_anyone,
            )
        )
    header = Join(
        [
            Tr("<b>Preview</b>: nothing has been sent yet."),
            Tr("Deadline: {deadline}.", deadline=When(deadline)),
            *audience,
            ANONYMITY,
        ]
    )
    return [header, *_spec_blocks(spec)]


async def _preview(turn: Turn, draft: Draft) -> None:
    await _reply_packed(
        turn,
        await _preview_blocks(turn, draft),
        keyboard(
            [choice(NAME, "send", Tr("Send"))],
            [choice(NAME, "edit_questions", Tr("Edit the questions"))],
            [choice(NAME, "cancel", Tr("Cancel"))],
        ),
    )


async def _close_preview(turn: Turn, draft: Draft) -> None:
    """The preview's last message keeps its text and loses its buttons."""
    messages = pack(turn.services.outbox, await _preview_blocks(turn, draft))
    await turn.edit_pressed(messages[-1])


def _deadline(draft: Draft) -> datetime | None:
    value = draft.data.get("deadline")
    return as_utc(datetime.fromisoformat(value)) if value else None


async def _store_spec(turn: Turn, draft: Draft, spec: SurveySpec, step: str) -> Draft:
    return await dialogs.save(turn, draft, step, spec=spec.to_json())


async def _question_done(turn: Turn, draft: Draft, question: QuestionSpec) -> None:
    """Put the question in place (replacing the one being edited) and show the survey."""
    check_question(question)
    spec = _spec(draft)
    questions = list(spec.questions)
    index = draft.data.get("edit")
    if index is None:
        questions.append(question)
    else:
        questions[index] = question
    check_questions(questions)
    spec = SurveySpec(spec.title, tuple(questions), None)  # changed: no longer the template
    draft = await dialogs.save(turn, draft, spec=spec.to_json(), edit=None, new=None)
    await _show_questions(turn, draft)


class SurveyBuilder(BaseDialog):
    """`/survey` for the TS and the PPT: the template or a new survey, then a preview."""

    name = NAME

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.OPEN_SURVEY)
        text = turn.text
        if draft.step == "title":
            title = _bilingual(text, Tr("The title"))
            check_title(title)
            if "spec" in draft.data:
                spec = _spec(draft)
                draft = await dialogs.save(
                    turn, draft, spec=SurveySpec(title, spec.questions, None).to_json()
                )
                await _show_questions(turn, draft)
                return
            await dialogs.save(turn, draft, "q_text", spec=SurveySpec(title).to_json(), edit=None)
            await turn.reply(_ask_question(1))
        elif draft.step == "q_text":
            question = _bilingual(text, Tr("The question"))
            check_question(QuestionSpec(QuestionKind.TEXT, question))
            await dialogs.save(turn, draft, "q_kind", new=[question.en, question.es])
            await turn.reply(_ask_question_kind(), _question_kind_buttons())
        elif draft.step == "q_labels":
            low, high = parse_labels(_bilingual(text, Tr("The labels")))
            await _question_done(turn, draft, self._new(draft, QuestionKind.RATING, low, high))
        elif draft.step == "deadline":
            deadline = parse_deadline(text, turn.services.clock, now=turn.now)
            surveys.check_deadline(deadline, turn.now)
            draft = await dialogs.save(turn, draft, "preview", deadline=deadline.isoformat())
            await _preview(turn, draft)
        else:
            await super().on_text(turn, draft)

    @staticmethod
    def _new(
        draft: Draft, kind: QuestionKind, low: Bi | None = None, high: Bi | None = None
    ) -> QuestionSpec:
        en, es = draft.data["new"]
        return QuestionSpec(kind, Bi(en, es), low, high)

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        turn.require(Action.OPEN_SURVEY)
        step = draft.step
        if step == "start" and value == "tpl":
            draft = await _store_spec(turn, draft, coordinator_template(), "questions")
            await _show_questions(turn, draft)
        elif step == "start" and value == "new":
            await dialogs.save(turn, draft, "title")
            await turn.reply(_ask_title())
        elif step == "questions":
            await self._questions_menu(turn, draft, value)
        elif step == "pick":
            await self._pick(turn, draft, value)
        elif step == "q_kind" and value == "text":
            await _question_done(turn, draft, self._new(draft, QuestionKind.TEXT))
        elif step == "q_kind" and value == "rating":
            await dialogs.save(turn, draft, "q_labels")
            low, high = default_labels()
            await turn.reply(
                _ask_labels(),
                keyboard([choice(NAME, "default", Join([low, " … ", high], sep=""))]),
            )
        elif step == "q_labels" and value == "default":
            low, high = default_labels()
            await _question_done(turn, draft, self._new(draft, QuestionKind.RATING, low, high))
        elif step == "deadline" and value == "default":
            deadline = surveys.default_deadline(turn.services, turn.now)
            draft = await dialogs.save(turn, draft, "preview", deadline=deadline.isoformat())
            await _preview(turn, draft)
        elif step == "preview":
            await self._preview_choice(turn, draft, value)
        else:
            await super().on_choice(turn, draft, value)

    async def _questions_menu(self, turn: Turn, draft: Draft, value: str) -> None:
        spec = _spec(draft)
        if value == "ok":
            check_questions(spec.questions)
            if _deadline(draft) is None:
                await dialogs.save(turn, draft, "deadline")
                await turn.reply(*_ask_deadline(turn))
                return
            draft = await dialogs.save(turn, draft, "preview")
            await _preview(turn, draft)
        elif value == "title":
            await dialogs.save(turn, draft, "title")
            await turn.reply(_ask_title())
        elif value == "add":
            check_room(spec.questions)
            await dialogs.save(turn, draft, "q_text", edit=None)
            await turn.reply(_ask_question(len(spec.questions) + 1))
        elif value in ("edit", "remove"):
            numbers = [
                choice(NAME, f"{value[0]}{n}", str(n)) for n in range(1, len(spec.questions) + 1)
            ]
            await dialogs.save(turn, draft, "pick", action=value)
            question = (
                Tr("Which question do you want to change?")
                if value == "edit"
                else Tr("Which question do you want to remove?")
            )
            await turn.reply(question, keyboard(numbers, [choice(NAME, "back", Tr("« Back"))]))
        else:
            await super().on_choice(turn, draft, value)

    async def _pick(self, turn: Turn, draft: Draft, value: str) -> None:
        spec = _spec(draft)
        if value == "back":
            await _show_questions(turn, draft)
            return
        action = draft.data.get("action")
        if not value[1:].isdigit() or value[0] != str(action)[:1]:
            await super().on_choice(turn, draft, value)
            return
        index = int(value[1:]) - 1
        if not 0 <= index < len(spec.questions):
            await super().on_choice(turn, draft, value)
            return
        if action == "edit":
            await dialogs.save(turn, draft, "q_text", edit=index)
            await turn.reply(_ask_question(index + 1))
            return
        questions = [q for n, q in enumerate(spec.questions) if n != index]
        check_questions(questions)
        draft = await _store_spec(
            turn, draft, SurveySpec(spec.title, tuple(questions), None), "questions"
        )
        await _show_questions(turn, draft)

    async def _preview_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        deadline = _deadline(draft)
        if value == "send" and deadline is not None:
            survey = await surveys.open_survey(
                turn.services,
                turn.session,
                _spec(draft),
                opened_by=turn.actor,
                deadline=deadline,
                now=turn.now,
            )
            await _close_preview(turn, draft)
            await dialogs.end(turn)
            turn.answer(Tr("Sent."))
            await turn.reply(
                Tr(
                    "{title} is open until {deadline}. /status {id} shows how many states "
                    "have answered; /close {id} closes it now.",
                    title=survey_title(survey),
                    deadline=When(survey.deadline),
                    id=short_id(survey.id),
                )
            )
        elif value == "edit_questions":
            await _show_questions(turn, draft)
        elif value == "cancel":
            await _close_preview(turn, draft)
            await dialogs.end(turn)
            await turn.reply(Tr("Cancelled. Nothing was sent."))
        else:
            await super().on_choice(turn, draft, value)
