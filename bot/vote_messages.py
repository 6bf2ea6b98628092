"""What the bot says about votes: ballots, results, status, reminders (SPEC 2.4).

Plain `bot.text` nodes, rendered in each reader's language when sent; nothing here talks to
Telegram or to the database. Callback data of ballot buttons is built and read here too, so
that the service that queues a ballot and the handler that receives its press agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.i18n import N_
from bot.ids import VOTE, format_id
from bot.models.votes import CloseReason, Vote, VoteBallot, VoteStatus
from bot.roles import ROLE_LABELS, Role
from bot.text import Button, Join, Keyboard, Node, Plural, Tr, When, from_json, keyboard
from bot.vote_rules import CHOICES, Choice, Tally, VoteRule, majority_needed

if TYPE_CHECKING:
    from bot.vote_seats import SeatView

PREFIX = "vote"
SHOW = "show"

# Button labels (the issue fixes "No objection / No objeción" and "Object / Objetar").
BUTTON_LABELS: Mapping[Choice, str] = {
    Choice.NO_OBJECTION: N_("No objection"),
    Choice.OBJECT: N_("Object"),
    Choice.YES: N_("Yes"),
    Choice.NO: N_("No"),
    Choice.ABSTAIN: N_("Abstain"),
}

# A seat's position as the results and the status show it.
POSITION_LABELS: Mapping[Choice, str] = {
    Choice.NO_OBJECTION: N_("no objection"),
    Choice.OBJECT: N_("objection"),
    Choice.YES: N_("yes"),
    Choice.NO: N_("no"),
    Choice.ABSTAIN: N_("abstention"),
}

RULE_LABELS: Mapping[VoteRule, str] = {
    VoteRule.NO_OBJECTION: N_("No-objection procedure"),
    VoteRule.MAJORITY: N_("Majority vote"),
    VoteRule.CONSENSUS: N_("Consensus"),
    VoteRule.COMMITTEE: N_("Committee vote"),
}

# Compact codes in callback data (Telegram allows 64 bytes): vote:<vote>:<seat>:<code>.
_CODES: Mapping[Choice, str] = {
    Choice.NO_OBJECTION: "ok",
    Choice.OBJECT: "obj",
    Choice.YES: "y",
    Choice.NO: "n",
    Choice.ABSTAIN: "a",
}
_CHOICE_OF = {code: choice for choice, code in _CODES.items()}
_BALLOT_DATA = re.compile(r"^vote:(\d{1,9}):(\d{1,9}):([a-z]{1,3})$")
_SHOW_DATA = re.compile(r"^vote:(\d{1,9}):show$")


@dataclass(frozen=True)
class BallotPress:
    vote_id: int
    seat_id: int
    choice: Choice


@dataclass(frozen=True)
class ShowPress:
    vote_id: int


def ballot_data(vote_id: int, seat_id: int, choice: Choice) -> str:
    return f"{PREFIX}:{vote_id}:{seat_id}:{_CODES[choice]}"


def show_data(vote_id: int) -> str:
    return f"{PREFIX}:{vote_id}:{SHOW}"


def parse_press(data: str) -> BallotPress | ShowPress | None:
    """The press a callback carries, or None for anything we never sent (forged)."""
    shown = _SHOW_DATA.match(data)
    if shown:
        return ShowPress(int(shown[1]))
    match = _BALLOT_DATA.match(data)
    if not match or match[3] not in _CHOICE_OF:
        return None
    return BallotPress(int(match[1]), int(match[2]), _CHOICE_OF[match[3]])


def vote_id_text(vote: Vote) -> str:
    return format_id(VOTE, vote.id)


def rule_of(vote: Vote) -> VoteRule:
    return VoteRule(vote.rule)


def rule_label(vote: Vote) -> Node:
    if vote.slate_id is not None:
        return Tr("No-objection procedure on a candidate")
    return Tr(RULE_LABELS[rule_of(vote)])


def question(vote: Vote) -> Node:
    node: Node = from_json(vote.question)
    return node


def title(vote: Vote) -> Node:
    """How deadlines and reminders name a vote."""
    return Tr("Vote {id} ({rule})", id=vote_id_text(vote), rule=rule_label(vote))


def explanation(vote: Vote, seats: int) -> Node:
    rule = rule_of(vote)
    if rule is VoteRule.NO_OBJECTION:
        return Tr(
            "Approved unless a member state objects by the deadline. A state that does not "
            "answer concurs."
        )
    if rule is VoteRule.MAJORITY:
        return Tr(
            "Approved when more than half of all {seats} member states vote yes ({needed} "
            "needed), however many vote. The vote closes as soon as the result cannot change.",
            seats=seats,
            needed=majority_needed(seats),
        )
    if rule is VoteRule.CONSENSUS:
        return Tr(
            "Approved only if every one of the {seats} member states says yes by the deadline. "
            "One no, or one state that does not answer, means there is no consensus.",
            seats=seats,
        )
    return Tr(
        "Approved only if all {seats} committee members say yes by the deadline.", seats=seats
    )


def ballot_body(vote: Vote, seats: int, *, role: Role, seat_name: Node, has_document: bool) -> Node:
    lines: list[Node] = [
        Tr("<b>Vote {id}</b> · {rule}", id=vote_id_text(vote), rule=rule_label(vote)),
        question(vote),
        "",
        explanation(vote, seats),
        Tr("Deadline: {deadline}", deadline=When(vote.deadline)),
    ]
    if role is Role.ALTERNATE:
        lines.append(
            Tr(
                "You are an alternate for {state}: vote only if your Vice-Minister has not. "
                "A vote of the Vice-Minister replaces yours.",
                state=seat_name,
            )
        )
    elif role is Role.VICE_MINISTER:
        lines.append(Tr("You vote for {state} as its Vice-Minister.", state=seat_name))
    else:
        lines.append(Tr("You vote as a member of the selection committee."))
    if vote.secret:
        lines.append(Tr("This vote is secret: the results show only the counts."))
    if has_document:
        lines.append(Tr("The document is in the message above."))
    if rule_of(vote) is VoteRule.NO_OBJECTION:
        lines.append(Tr("To object, press Object: I will ask you for the reason."))
    lines.append(Tr("You may change your vote until the deadline."))
    return Join(lines)


def ballot_buttons(vote: Vote, seat_id: int) -> Keyboard:
    assert vote.id is not None
    return keyboard(
        [
            Button(Tr(BUTTON_LABELS[choice]), data=ballot_data(vote.id, seat_id, choice))
            for choice in CHOICES[rule_of(vote)]
        ]
    )


def recorded_line(ballot: VoteBallot) -> Node:
    position = Tr(POSITION_LABELS[Choice(ballot.choice)])
    return Tr("<b>Recorded</b>: {position}, {when}.", position=position, when=When(ballot.cast_at))


def closed_ballot_body(vote: Vote) -> Node:
    return Join(
        [
            Tr("<b>Vote {id}</b> · {rule}", id=vote_id_text(vote), rule=rule_label(vote)),
            question(vote),
            "",
            Tr("This vote is closed; the results were sent to you."),
        ]
    )


def document_caption(vote: Vote) -> Node:
    return Tr("Document for vote {id}.", id=vote_id_text(vote))


def position_label(rule: VoteRule, position: Choice | None) -> Node:
    if position is not None:
        return Tr(POSITION_LABELS[position])
    if rule is VoteRule.NO_OBJECTION:
        return Tr("no answer (concurs by silence)")
    return Tr("did not vote")


def _truncate(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 1)].rstrip() + "…"


def position_lines(rule: VoteRule, views: Sequence[SeatView], *, reasons: int | None) -> list[Node]:
    """One line per seat that voted (`Mexico: objection — reason`), then one line naming the
    silent ones. `reasons` caps each reason's length (0 leaves reasons out, None shows them
    whole)."""
    lines: list[Node] = []
    for view in views:
        if view.ballot is None:
            continue
        parts: list[Node] = [view.name, ": ", position_label(rule, view.position)]
        reason = view.ballot.reason
        if reason and reasons != 0:
            parts.extend([" — ", _truncate(reason, reasons)])
        lines.append(Join(parts, sep=""))
    silent = [view.name for view in views if view.ballot is None]
    if silent:
        lines.append(silent_line(rule, silent))
    return lines


def silent_line(rule: VoteRule, names: Sequence[Node]) -> Node:
    listed = Join(names, sep=", ")
    if rule is VoteRule.NO_OBJECTION:
        return Tr("No answer, so concurring by silence: {names}", names=listed)
    return Tr("Did not vote: {names}", names=listed)


def summary(vote: Vote, result: Tally, approved: bool) -> Node:
    rule = rule_of(vote)
    if rule is VoteRule.NO_OBJECTION:
        counts = Tr(
            "Explicit concurrence: {explicit}; concurrence by silence: {silent}.",
            explicit=result.of(Choice.NO_OBJECTION),
            silent=result.silent,
        )
        if approved:
            return Join([Tr("No member state objected."), counts])
        objections = result.of(Choice.OBJECT)
        return Join(
            [
                Plural(
                    "{n} member state objected.",
                    "{n} member states objected.",
                    objections,
                ),
                counts,
            ]
        )
    if rule is VoteRule.MAJORITY:
        return Tr(
            "Yes: {yes} of {seats} member states ({needed} needed). No: {no}; abstentions: "
            "{abstain}; did not vote: {silent}.",
            yes=result.of(Choice.YES),
            seats=result.seats,
            needed=majority_needed(result.seats),
            no=result.of(Choice.NO),
            abstain=result.of(Choice.ABSTAIN),
            silent=result.silent,
        )
    if rule is VoteRule.CONSENSUS:
        if approved:
            return Tr("Consensus: all {seats} member states said yes.", seats=result.seats)
        return Tr(
            "No consensus: yes {yes} of {seats}; no {no}; did not answer {silent}.",
            yes=result.of(Choice.YES),
            seats=result.seats,
            no=result.of(Choice.NO),
            silent=result.silent,
        )
    if approved:
        return Tr("Approved unanimously by the {seats} committee members.", seats=result.seats)
    return Tr(
        "Not unanimous: yes {yes} of {seats}; no {no}; did not vote {silent}.",
        yes=result.of(Choice.YES),
        seats=result.seats,
        no=result.of(Choice.NO),
        silent=result.silent,
    )


def how_closed(vote: Vote) -> Node:
    assert vote.closed_at is not None
    when = When(vote.closed_at)
    reason = CloseReason(vote.close_reason or CloseReason.DEADLINE)
    if reason is CloseReason.DEADLINE:
        return Tr("Closed at the deadline, {when}.", when=when)
    if reason is CloseReason.DECIDED:
        return Tr("Closed on {when}: the result could no longer change.", when=when)
    if reason is CloseReason.OBJECTION:
        return Tr("Closed on {when}, when an objection was received.", when=when)
    return Tr("Closed before the deadline on {when}.", when=when)


def outcome_heading(vote: Vote, approved: bool) -> Node:
    if approved:
        return Tr("<b>Vote {id} closed: approved</b>", id=vote_id_text(vote))
    return Tr("<b>Vote {id} closed: not approved</b>", id=vote_id_text(vote))


@dataclass(frozen=True)
class SlateNext:
    """What happens to the slate after one of its candidate votes closed."""

    approved_name: str | None = None
    next_rank: int | None = None
    next_name: str | None = None
    next_score: float | None = None
    next_deadline: datetime | None = None
    exhausted: bool = False


def slate_line(following: SlateNext) -> Node:
    if following.approved_name is not None:
        return Tr("{name} is approved: no objection was received.", name=following.approved_name)
    if following.exhausted:
        return Tr("No candidate is left on the slate: it ends with no candidate approved.")
    assert following.next_deadline is not None
    return Tr(
        "The vote moves to candidate {rank}, {name} (score {score}), until {deadline}. The "
        "ballots follow.",
        rank=following.next_rank,
        name=following.next_name,
        score=following.next_score,
        deadline=When(following.next_deadline),
    )


def results_body(
    vote: Vote,
    views: Sequence[SeatView],
    result: Tally,
    approved: bool,
    *,
    following: SlateNext | None,
    reasons: int | None,
    positions: bool = True,
) -> Node:
    """The results every participant receives. `reasons` and `positions` let the caller
    shorten it to Telegram's limit when many states wrote long reasons."""
    lines: list[Node] = [outcome_heading(vote, approved), question(vote), "", how_closed(vote)]
    lines.append(summary(vote, result, approved))
    rule = rule_of(vote)
    if vote.secret:
        given = [v.ballot.reason for v in views if v.ballot and v.ballot.reason]
        if given and reasons != 0:
            lines.extend(["", Tr("Reasons given:")])
            lines.extend(Join(["• ", _truncate(r, reasons)], sep="") for r in given)
    elif positions:
        lines.extend(["", Tr("<b>Positions</b>"), *position_lines(rule, views, reasons=reasons)])
    else:
        lines.append(Tr("Each position is shown by /status {id}.", id=vote_id_text(vote)))
    if following is not None:
        lines.extend(["", slate_line(following)])
    return Join(lines)


def status_body(vote: Vote, views: Sequence[SeatView], result: Tally, now: datetime) -> Node:
    """`/status V3`: who has voted, per seat; choices only for a vote that is not secret."""
    rule = rule_of(vote)
    lines: list[Node] = [
        Tr("<b>Vote {id}</b> · {rule}", id=vote_id_text(vote), rule=rule_label(vote)),
        question(vote),
        "",
    ]
    if vote.status == VoteStatus.OPEN:
        lines.append(Tr("Open until {deadline}.", deadline=When(vote.deadline)))
    else:
        lines.append(outcome_heading(vote, bool(vote.approved)))
        lines.append(how_closed(vote))
    if vote.secret:
        lines.append(Tr("Secret vote: only who has voted is shown, not how."))
    lines.append(Tr("Voted: {voted} of {seats}.", voted=result.voted, seats=result.seats))
    for view in views:
        ballot = view.ballot
        if ballot is None:
            continue
        who = Join([view.voter_name, " (", Tr(ROLE_LABELS[Role(ballot.role)]), ")"], sep="")
        shown: Node = Tr("voted") if vote.secret else position_label(rule, view.position)
        lines.append(Join([view.name, ": ", shown, " — ", who, ", ", When(ballot.cast_at)], sep=""))
    silent = [view.name for view in views if view.ballot is None]
    if silent and vote.status == VoteStatus.OPEN:
        lines.append(Tr("Not yet: {names}", names=Join(silent, sep=", ")))
    elif silent:
        lines.append(silent_line(rule, silent))
    return Join(lines)


def colleague_notice(vote: Vote, ballot: VoteBallot, *, voter_name: str, state_name: Node) -> Node:
    """To the other Vice-Ministers and alternates of a state, when one of them votes."""
    position = Tr(POSITION_LABELS[Choice(ballot.choice)])
    if ballot.role == Role.ALTERNATE:
        return Tr(
            "{name}, alternate, voted for {state} on vote {id}: {position}. A vote of the "
            "Vice-Minister would replace it.",
            name=voter_name,
            state=state_name,
            id=vote_id_text(vote),
            position=position,
        )
    return Tr(
        "{name}, Vice-Minister, voted for {state} on vote {id}: {position}. This is the vote "
        "that counts for {state}.",
        name=voter_name,
        state=state_name,
        id=vote_id_text(vote),
        position=position,
    )


def reminder_body(deadline_title: Node, due_at: datetime) -> Node:
    return Tr(
        "<b>Reminder</b>: {title} closes on {when}, and we do not have your vote yet.",
        title=deadline_title,
        when=When(due_at),
    )


def show_button(vote_id: int) -> Keyboard:
    return keyboard([Button(Tr("Show the ballot"), data=show_data(vote_id))])


def open_line_for_voter(vote: Vote, voted: bool) -> Node:
    if voted:
        return Tr(
            "{id}: your vote is recorded; you may change it until {deadline}.",
            id=vote_id_text(vote),
            deadline=When(vote.deadline),
        )
    return Tr(
        "{id}: waiting for your vote until {deadline}.",
        id=vote_id_text(vote),
        deadline=When(vote.deadline),
    )


def open_line_for_admin(vote: Vote, result: Tally) -> Node:
    return Tr(
        "{id} ({rule}): {voted} of {seats} voted, open until {deadline}.",
        id=vote_id_text(vote),
        rule=rule_label(vote),
        voted=result.voted,
        seats=result.seats,
        deadline=When(vote.deadline),
    )


def candidate_question(subject: Node, *, rank: int, total: int, name: str, score: float) -> Node:
    return Tr(
        "Candidate {rank} of {total} for {subject}: <b>{name}</b> (score {score}). Do you have "
        "any objection to this candidate?",
        rank=rank,
        total=total,
        subject=subject,
        name=name,
        score=score,
    )


def default_subject() -> Node:
    # 000_80de73a49c3b69ea.txt: ranked candidates are put to the Vice-Ministers for the post
    # of Coordinator of the Technical Secretariat.
    return Tr("Coordinator of the Technical Secretariat")
