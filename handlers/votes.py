"""/vote and the ballots (SPEC 2.4 and section 3).

One-line forms (anything left out is asked for, step by step; a file sent with the command
as its caption, or at any step, is attached as the vote's document):

    /vote no-objection|majority|consensus [deadline-date] [secret]
    EN: question
    ES: pregunta

    /vote committee [deadline-date] [secret]
    @username or Telegram id, one member per line (none: everyone with the committee role)
    EN: / ES: question lines

    /vote slate [deadline-date] [secret]
    name; score            (one candidate per line, highest score first)
    EN: / ES: optional lines naming the post (default: Coordinator of the TS)

Everything is previewed and goes only with a press of "Send". Ballot buttons carry
`vote:<vote>:<seat>:<choice>`; every press is checked by `bot.votes.check_ballot`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import dialogs, slates, vote_seats, vote_trail, votes
from bot import vote_messages as say
from bot.dialogs import BaseDialog
from bot.documents import Incoming, check_incoming
from bot.errors import InputError, PermissionDenied, UserError
from bot.features import Audience, CommandInfo, Feature
from bot.i18n import N_
from bot.ids import VOTE, Subject, format_id
from bot.models.dialogs import Draft
from bot.models.documents import StoredDocument
from bot.models.people import Person
from bot.models.votes import Vote, VoteSeat, VoteStatus
from bot.outbox import Content
from bot.parsing import CommandText, looks_like_date, parse_deadline, split_command
from bot.permissions import Action, can
from bot.states import member_states, state_name
from bot.text import Bi, Join, Keyboard, Node, Tr, When, keyboard
from bot.updates import Turn, handler
from bot.vote_rules import Choice, VoteRule
from handlers.common import download_document

NAME = "vote"
REASON = "vote_reason"
SLATE = "slate"  # the form's fifth kind: ranked candidates, each put to a no-objection vote

# The kinds as the TS may write them, in English or Spanish.
_KINDS: dict[str, str] = {
    "no-objection": VoteRule.NO_OBJECTION,
    "no_objection": VoteRule.NO_OBJECTION,
    "noobjection": VoteRule.NO_OBJECTION,
    "no-objecion": VoteRule.NO_OBJECTION,
    "no-objeción": VoteRule.NO_OBJECTION,
    "majority": VoteRule.MAJORITY,
    "mayoria": VoteRule.MAJORITY,
    "mayoría": VoteRule.MAJORITY,
    "consensus": VoteRule.CONSENSUS,
    "consenso": VoteRule.CONSENSUS,
    "committee": VoteRule.COMMITTEE,
    "comite": VoteRule.COMMITTEE,
    "comité": VoteRule.COMMITTEE,
    "slate": SLATE,
    "candidatos": SLATE,
}
_SECRET = {"secret", "secreta", "secreto"}
_KIND_BUTTONS: tuple[tuple[str, str], ...] = (
    (VoteRule.NO_OBJECTION, N_("No-objection procedure")),
    (VoteRule.MAJORITY, N_("Majority vote")),
    (VoteRule.CONSENSUS, N_("Consensus")),
    (VoteRule.COMMITTEE, N_("Committee vote")),
    (SLATE, N_("Candidate slate")),
)
_SCORE = re.compile(r"^\d{1,4}(?:[.,]\d{1,2})?$")


# ---- parsing the one-line form ---------------------------------------------------------------


def parse_kind(text: str) -> str:
    kind = _KINDS.get(text.strip().lower())
    if kind is None:
        raise InputError(
            Tr(
                "Unknown kind of vote {kind}. Use no-objection, majority, consensus, committee "
                "or slate.",
                kind=text,
            )
        )
    return kind


def parse_candidates(lines: list[str]) -> list[slates.CandidateEntry]:
    """`name; score`, one per line (a decimal comma is accepted: 87,5)."""
    found = []
    for line in lines:
        name, separator, score = line.rpartition(";")
        score = score.strip()
        if not separator or not name.strip() or not _SCORE.match(score):
            raise InputError(
                Tr(
                    "Write each candidate as name; score (for example: Ana Pérez; 87.5). This "
                    "line is not: {line}",
                    line=line.strip(),
                )
            )
        found.append(slates.CandidateEntry(name.strip(), float(score.replace(",", "."))))
    slates.check_candidates(found)
    return found


def _draft_from_form(turn: Turn, form: CommandText) -> dict[str, Any]:
    """What the one-line form says, as the dialog's draft data."""
    data: dict[str, Any] = {"kind": parse_kind(form.args[0]), "secret": False}
    kind = data["kind"]
    for word in form.args[1:]:
        if word.lower() in _SECRET:
            data["secret"] = True
        elif looks_like_date(word):
            deadline = parse_deadline(word, turn.services.clock, now=turn.now)
            data["deadline"] = deadline.isoformat()
        else:
            raise InputError(
                Tr(
                    "I did not understand {word}. After the kind of vote come an optional "
                    "deadline date and the word secret.",
                    word=word,
                )
            )
    if "deadline" not in data and kind in (VoteRule.NO_OBJECTION, SLATE):
        data["deadline"] = _default_deadline(turn).isoformat()
    if kind == SLATE:
        if form.english or form.spanish:
            post = form.bilingual(what=Tr("The post"))
            votes.check_question(post)
            data["en"], data["es"] = post.en, post.es
        if form.rest:
            data["candidates"] = [[c.name, c.score] for c in parse_candidates(form.rest)]
        return data
    if kind == VoteRule.COMMITTEE:
        data["committee_refs"] = form.rest
    elif form.rest:
        raise InputError(
            Tr(
                "Write the question on lines starting with EN: and ES:. I did not understand: "
                "{line}",
                line=form.rest[0],
            )
        )
    if form.english or form.spanish:
        question = form.bilingual(what=Tr("The question"))
        votes.check_question(question)
        data["en"], data["es"] = question.en, question.es
    return data


def _default_deadline(turn: Turn) -> datetime:
    return votes.default_deadline(turn.now, turn.services.clock.tz)


# ---- /vote -----------------------------------------------------------------------------------


async def vote_command(turn: Turn) -> None:
    turn.require(Action.OPEN_VOTE)
    form = turn.command
    data: dict[str, Any] = {"secret": False}
    if form.args:
        data = _draft_from_form(turn, form)
    document = _attached(turn)
    if document is not None:
        data["document"] = document
    if data.get("kind") == VoteRule.COMMITTEE:
        members = await vote_seats.find_committee(turn.session, data.pop("committee_refs", []))
        data["committee"] = [m.id for m in members]
    draft = await dialogs.begin(turn, NAME, "start", **data)
    await _next(turn, draft)


def _attached(turn: Turn) -> dict[str, Any] | None:
    """The file sent with this message, checked but not yet downloaded: nothing is stored
    until the vote is sent."""
    message = turn.update.message
    document = message.document if message is not None else None
    if document is None:
        return None
    check_incoming(Incoming.of(document), None)  # refused now, not when the vote goes out
    return {
        "file_id": document.file_id,
        "name": document.file_name or "document",
        "mime": document.mime_type or "application/octet-stream",
        "size": document.file_size,
    }


async def _next(turn: Turn, draft: Draft) -> None:
    """Ask for the first thing still missing, or show the preview."""
    data = draft.data
    kind = data.get("kind")
    if kind is None:
        await dialogs.save(turn, draft, "kind")
        await turn.reply(
            Tr("Which kind of vote?"),
            keyboard(
                *[
                    [dialogs.choice(NAME, f"kind:{value}", Tr(label))]
                    for value, label in _KIND_BUTTONS
                ]
            ),
        )
        return
    if "deadline" not in data:
        await dialogs.save(turn, draft, "deadline")
        buttons = None
        if kind in (VoteRule.NO_OBJECTION, SLATE):
            buttons = keyboard(
                [
                    dialogs.choice(
                        NAME,
                        "default",
                        Tr("In {days} calendar days", days=votes.DEFAULT_NO_OBJECTION_DAYS),
                    )
                ]
            )
        await turn.reply(
            Tr(
                "Until which date may they vote? Send it as YYYY-MM-DD or DD/MM/YYYY; the vote "
                "closes at 23:59 of that day, conference time."
            ),
            buttons,
        )
        return
    if kind == VoteRule.COMMITTEE and "committee" not in data:
        await dialogs.save(turn, draft, "committee")
        await turn.reply(
            Tr(
                "Who is on the committee? Send one member per line, as @username or Telegram "
                "id, or press the button."
            ),
            keyboard([dialogs.choice(NAME, "everyone", Tr("Everyone with the committee role"))]),
        )
        return
    if kind == SLATE and "candidates" not in data:
        await dialogs.save(turn, draft, "candidates")
        await turn.reply(
            Tr(
                "Send the candidates, one per line as name; score, from the highest score to "
                "the lowest. For example:\nAna Pérez; 92\nLuis Mora; 88.5"
            )
        )
        return
    if kind != SLATE and "en" not in data:
        await dialogs.save(turn, draft, "en")
        await turn.reply(
            Tr(
                "Send the question in English. (You may also send both at once, on lines "
                "starting with EN: and ES:.)"
            )
        )
        return
    if kind != SLATE and "es" not in data:
        await dialogs.save(turn, draft, "es")
        await turn.reply(Tr("Now send the question in Spanish."))
        return
    await dialogs.save(turn, draft, "preview")
    body, buttons = await _preview(turn, draft)
    await turn.reply(body, buttons)


async def _preview(turn: Turn, draft: Draft) -> tuple[Node, Keyboard]:
    data = draft.data
    kind = data["kind"]
    deadline = datetime.fromisoformat(data["deadline"])
    lines: list[Node] = [Tr("<b>Preview</b>: nothing has been sent yet."), ""]
    rule = VoteRule.NO_OBJECTION if kind == SLATE else VoteRule(kind)
    sample = Vote(rule=rule.value, question=None, secret=data["secret"], deadline=deadline)
    if kind == SLATE:
        sample.slate_id = 0
    lines.append(Tr("Kind: {rule}", rule=say.rule_label(sample)))
    lines.append(Tr("Deadline: {deadline}", deadline=When(deadline)))
    if kind == VoteRule.COMMITTEE:
        members = [await turn.session.get(Person, pid) for pid in data["committee"]]
        names = Join([m.display_name for m in members if m is not None], sep=", ")
        lines.append(Tr("Committee members: {names}", names=names))
        seats = len(data["committee"])
    else:
        members_count = len(await member_states(turn.session))
        seats = members_count
        lines.append(
            Tr(
                "Voters: the {n} member states, each through its Vice-Minister or, failing "
                "that, an alternate.",
                n=members_count,
            )
        )
        missing = await vote_seats.unreachable_states(turn.session)
        if missing:
            lines.append(
                Tr(
                    "No Vice-Minister or alternate has joined yet for: {states}. Nobody there "
                    "will receive the ballot.",
                    states=Join([state_name(s) for s in missing], sep=", "),
                )
            )
    if kind == SLATE:
        lines.append(Tr("Candidates, voted on one at a time in this order:"))
        lines.extend(
            Tr("{rank}. {name} (score {score})", rank=rank, name=name, score=score)
            for rank, (name, score) in enumerate(data["candidates"], start=1)
        )
        if data.get("en"):
            lines.append(Tr("Post: {post}", post=Bi(data["en"], data["es"])))
        lines.append(
            Tr("An objection moves the vote to the next candidate, for the same number of days.")
        )
    else:
        lines.extend(["", Tr("<b>Question</b>"), f"EN: {data['en']}", f"ES: {data['es']}"])
        lines.extend(["", say.explanation(sample, seats)])
    document = data.get("document")
    if document:
        lines.append(Tr("Document: {name}", name=document["name"]))
    else:
        lines.append(Tr("No document. To attach one, send the file now."))
    if data["secret"]:
        lines.append(Tr("Secret: the results will show only the counts."))
    else:
        lines.append(Tr("Open: the results will show each position."))
    secret_label = Tr("Make it open") if data["secret"] else Tr("Make it secret")
    buttons = keyboard(
        [dialogs.choice(NAME, "send", Tr("Send"))],
        [
            dialogs.choice(NAME, "secret", secret_label),
            dialogs.choice(NAME, "cancel", Tr("Cancel")),
        ],
    )
    return Join(lines), buttons


async def _send(turn: Turn, draft: Draft) -> None:
    person, actor = turn.known
    data = draft.data
    kind = data["kind"]
    deadline = datetime.fromisoformat(data["deadline"])
    document = await _store_document(turn, person, data.get("document"))
    if kind == SLATE:
        subject = Bi(data["en"], data["es"]) if data.get("en") else None
        vote = await votes.open_slate(
            turn.services,
            turn.session,
            opened_by=actor,
            candidates=[slates.CandidateEntry(n, s) for n, s in data["candidates"]],
            deadline=deadline,
            now=turn.now,
            subject=subject,
            document=document,
            secret=data["secret"],
        )
    else:
        committee = []
        for person_id in data.get("committee", []):
            member = await turn.session.get(Person, person_id)
            if member is not None:
                committee.append(member)
        vote = await votes.open_vote(
            turn.services,
            turn.session,
            opened_by=actor,
            rule=VoteRule(kind),
            question=Bi(data["en"], data["es"]),
            deadline=deadline,
            now=turn.now,
            document=document,
            committee=committee,
            secret=data["secret"],
        )
    await dialogs.end(turn)
    vid = say.vote_id_text(vote)
    await turn.edit_pressed(
        Tr(
            "Vote {id} is open until {deadline}. /status {id} shows who has voted; /close {id} "
            "closes it now; /export {id} gives the ballots as CSV.",
            id=vid,
            deadline=When(vote.deadline),
        )
    )
    turn.answer(Tr("Sent."))


async def _store_document(
    turn: Turn, person: Person, document: dict[str, Any] | None
) -> StoredDocument | None:
    """Download the file now that the vote goes out, and keep it as an official record
    (SPEC section 4: file and checksum, not only Telegram's file id)."""
    if not document:
        return None
    incoming = Incoming(
        document["file_id"], document["name"], document["mime"], document.get("size")
    )
    return await download_document(turn, incoming=incoming)


class VoteDialog(BaseDialog):
    name = NAME

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.OPEN_VOTE)
        text = turn.text.strip()
        step = draft.step
        if step == "deadline":
            deadline = parse_deadline(text, turn.services.clock, now=turn.now)
            await dialogs.save(turn, draft, deadline=deadline.isoformat())
        elif step == "committee":
            refs = [line for line in text.split("\n") if line.strip()]
            members = await vote_seats.find_committee(turn.session, refs)
            await dialogs.save(turn, draft, committee=[m.id for m in members])
        elif step == "candidates":
            lines = [line for line in text.split("\n") if line.strip()]
            found = parse_candidates(lines)
            await dialogs.save(turn, draft, candidates=[[c.name, c.score] for c in found])
        elif step == "en":
            blocks = split_command("\n" + text)  # EN: and ES: may start on the first line
            if blocks.english and blocks.spanish:
                question = blocks.bilingual()
                votes.check_question(question)
                await dialogs.save(turn, draft, en=question.en, es=question.es)
            else:
                english = blocks.english or text
                votes.check_question(Bi(english, english))
                await dialogs.save(turn, draft, en=english)
        elif step == "es":
            spanish = split_command("\n" + text).spanish or text
            votes.check_question(Bi(draft.data["en"], spanish))
            await dialogs.save(turn, draft, es=spanish)
        elif step == "preview":
            raise InputError(
                Tr("Press Send or Cancel under the preview, or send a file to attach it.")
            )
        else:
            raise InputError(Tr("Please use the buttons above, or /cancel to stop."))
        await _next(turn, draft)

    async def on_document(self, turn: Turn, draft: Draft) -> None:
        turn.require(Action.OPEN_VOTE)
        document = _attached(turn)
        assert document is not None
        await dialogs.save(turn, draft, document=document)
        await turn.reply(Tr("Document attached: {name}.", name=document["name"]))
        await _next(turn, draft)

    async def on_choice(self, turn: Turn, draft: Draft, value: str) -> None:
        turn.require(Action.OPEN_VOTE)
        if value.startswith("kind:") and draft.step == "kind":
            kind = parse_kind(value.split(":", 1)[1])
            await dialogs.save(turn, draft, kind=kind)
            turn.answer(Tr("Noted."))
            await _next(turn, draft)
        elif value == "default" and draft.step == "deadline":
            await dialogs.save(turn, draft, deadline=_default_deadline(turn).isoformat())
            turn.answer(Tr("Noted."))
            await _next(turn, draft)
        elif value == "everyone" and draft.step == "committee":
            members = await vote_seats.find_committee(turn.session, [])
            await dialogs.save(turn, draft, committee=[m.id for m in members])
            turn.answer(Tr("Noted."))
            await _next(turn, draft)
        elif value == "secret" and draft.step == "preview":
            await dialogs.save(turn, draft, secret=not draft.data["secret"])
            body, buttons = await _preview(turn, draft)
            await turn.edit_pressed(body, buttons)
            turn.answer(Tr("Changed."))
        elif value == "send" and draft.step == "preview":
            await _send(turn, draft)
        elif value == "cancel":
            await dialogs.end(turn)
            await turn.edit_pressed(Tr("Cancelled. Nothing was sent."))
            turn.answer(Tr("Cancelled."))
        else:
            raise InputError(Tr("That button is no longer active."))


# ---- ballots ---------------------------------------------------------------------------------


async def on_press(turn: Turn) -> None:
    press = say.parse_press(turn.callback_data)
    if press is None:
        raise InputError(Tr("That button is not valid. Nothing was changed."))
    _, actor = turn.known
    if isinstance(press, say.ShowPress):
        await votes.resend_ballot(turn.services, turn.session, actor, press.vote_id, now=turn.now)
        turn.answer(Tr("Here is the ballot."))
        return
    draft = await dialogs.current(turn)
    if draft is not None and draft.dialog == REASON:
        await dialogs.end(turn)  # another button pressed: the objection is not going ahead
    if press.choice is Choice.OBJECT:
        checked = await votes.check_ballot(
            turn.session,
            actor,
            vote_id=press.vote_id,
            seat_id=press.seat_id,
            choice=Choice.OBJECT,
            now=turn.now,
        )
        query = turn.callback
        message_id = query.message.message_id if query and query.message else None
        await dialogs.begin(
            turn,
            REASON,
            "reason",
            vote_id=press.vote_id,
            seat_id=press.seat_id,
            message_id=message_id,
        )
        await turn.reply(
            Tr(
                "Please write the reason for the objection in one message (at most {limit} "
                "characters). It goes into the record and into the results of vote {id}. "
                "/cancel keeps the vote as it was.",
                limit=votes.MAX_REASON,
                id=say.vote_id_text(checked.vote),
            )
        )
        turn.answer(Tr("Please write the reason."))
        return
    result = await votes.cast_ballot(
        turn.services,
        turn.session,
        actor=actor,
        vote_id=press.vote_id,
        seat_id=press.seat_id,
        choice=press.choice,
        now=turn.now,
    )
    turn.answer(Tr("Vote recorded.") if result.changed else Tr("That vote was already recorded."))
    await turn.edit_pressed(*await _ballot_after(turn, result))


async def _ballot_after(turn: Turn, result: votes.CastResult) -> tuple[Node, Keyboard | None]:
    vote = await votes.get_vote(turn.session, result.ballot.vote_id)
    seat = await turn.session.get(VoteSeat, result.ballot.seat_id)
    _, actor = turn.known
    assert seat is not None
    content = await votes.ballot_view(
        turn.session, vote, seat, vote_seats.role_in(seat, actor), recorded=result.ballot
    )
    return content.body, content.buttons


class ReasonDialog(BaseDialog):
    """The reason for an objection, asked after the Object button."""

    name = REASON

    async def on_text(self, turn: Turn, draft: Draft) -> None:
        _, actor = turn.known
        vote_id, seat_id = int(draft.data["vote_id"]), int(draft.data["seat_id"])
        try:
            await votes.check_ballot(
                turn.session,
                actor,
                vote_id=vote_id,
                seat_id=seat_id,
                choice=Choice.OBJECT,
                now=turn.now,
            )
        except UserError as error:
            # The vote closed (or moved on) while the reason was being written: say so, and
            # stop asking.
            await dialogs.end(turn)
            await turn.reply(error.message)
            return
        result = await votes.cast_ballot(
            turn.services,
            turn.session,
            actor=actor,
            vote_id=vote_id,
            seat_id=seat_id,
            choice=Choice.OBJECT,
            now=turn.now,
            reason=turn.text,
        )
        await dialogs.end(turn)
        await turn.reply(
            Tr(
                "Your objection to vote {id} is recorded.",
                id=format_id(VOTE, vote_id),
            )
        )
        message_id = draft.data.get("message_id")
        if message_id is not None:
            body, buttons = await _ballot_after(turn, result)
            await turn.services.outbox.edit(
                turn.session,
                chat_id=turn.chat_id,
                message_id=int(message_id),
                person_id=actor.person_id,
                content=Content(body, buttons),
                now=turn.now,
            )


# ---- /status, /close, /export V3 ------------------------------------------------------------


async def _visible_vote(turn: Turn, number: int) -> Vote:
    _, actor = turn.known
    vote = await votes.get_vote(turn.session, number)
    if not await vote_seats.may_see(turn.session, vote, actor):
        raise PermissionDenied(Tr("You do not take part in vote {id}.", id=format_id(VOTE, number)))
    return vote


async def vote_status(turn: Turn, number: int) -> Node:
    vote = await _visible_vote(turn, number)
    views = await vote_seats.seat_views(turn.session, vote)
    return say.status_body(vote, views, vote_seats.tally_of(views), turn.now)


async def vote_close(turn: Turn, number: int) -> None:
    _, actor = turn.known
    vote = await votes.get_vote(turn.session, number)
    was_open = vote.status == VoteStatus.OPEN
    outcome = await votes.close_vote(
        turn.services, turn.session, number, now=turn.now, closed_by=actor
    )
    vid = say.vote_id_text(vote)
    verdict = Tr("approved") if outcome.approved else Tr("not approved")
    if not was_open:
        await turn.reply(
            Tr(
                "Vote {id} was already closed on {when} ({verdict}). Nothing was changed.",
                id=vid,
                when=When(outcome.closed_at),
                verdict=verdict,
            )
        )
        return
    await turn.reply(
        Tr(
            "Vote {id} is closed: {verdict}. The results are on their way to every participant.",
            id=vid,
            verdict=verdict,
        )
    )


async def vote_export(turn: Turn, number: int) -> None:
    person, _ = turn.known
    vote = await _visible_vote(turn, number)
    rows = await vote_trail.trail(turn.session, number)
    data = vote_trail.trail_csv(vote, rows, turn.services.clock.tz)
    vid = say.vote_id_text(vote)
    stored = await turn.services.documents.store(
        turn.session,
        data,
        file_name=f"vote-{vid}-ballots.csv",
        mime_type="text/csv",
        now=turn.now,
        uploaded_by_id=person.id,
    )
    await turn.reply(
        Tr("Audit trail of vote {id}: {n} ballots, oldest first.", id=vid, n=len(rows)),
        document=stored,
    )


async def vote_open_items(turn: Turn) -> list[Node]:
    _, actor = turn.known
    lines: list[Node] = []
    admin = can(actor, Action.SEE_DELIVERY)
    for vote in await votes.open_votes(turn.session):
        if admin:
            views = await vote_seats.seat_views(turn.session, vote)
            lines.append(say.open_line_for_admin(vote, vote_seats.tally_of(views)))
            continue
        seat = await vote_seats.seat_for(turn.session, vote, actor)
        if seat is not None:
            views = await vote_seats.seat_views(turn.session, vote)
            voted = any(v.seat.id == seat.id and v.ballot is not None for v in views)
            lines.append(say.open_line_for_voter(vote, voted))
    return lines


_CAPTION = filters.CaptionRegex(r"^/vote(@\w+)?(\s|$)")

FEATURE = Feature(
    name=NAME,
    handlers=[
        CommandHandler("vote", handler(vote_command)),
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.Document.ALL & _CAPTION, handler(vote_command)
        ),
        CallbackQueryHandler(handler(on_press), pattern=rf"^{say.PREFIX}:"),
    ],
    dialogs=[VoteDialog(), ReasonDialog()],
    subjects=[
        Subject(
            prefix=VOTE,
            name=N_("vote"),
            status=vote_status,
            close=vote_close,
            export=vote_export,
            open_items=vote_open_items,
        )
    ],
    deadline_kinds=[votes.VoteDeadline()],
    commands=[
        CommandInfo(
            "vote", N_("Open a vote of the Vice-Ministers or the committee"), Audience.ADMIN
        )
    ],
)
