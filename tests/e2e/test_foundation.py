"""The foundation end to end: languages, menus, the PPT, refusals, groups."""

from __future__ import annotations

from sqlmodel import select

from bot.models.audit import AuditEntry
from bot.models.people import Invitation, Person, Presidency
from tests.harness import BOT_USERNAME, Harness


async def test_language_follows_telegram_then_choice(harness: Harness) -> None:
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="en")
    await ana.send("/language")
    question = await ana.last_message()
    assert question is not None and [b.label for b in question.buttons[0]] == [
        "English",
        "Español",
    ]
    await ana.press("Español")
    assert (await ana.last_message()).text == "De ahora en adelante le escribiré en español."  # type: ignore[union-attr]
    assert (await ana.last_callback_answer()).text == "Idioma cambiado."  # type: ignore[union-attr]
    await ana.send("/help")
    help_text = (await ana.last_message()).text  # type: ignore[union-attr]
    assert "En qué puedo ayudarle" in help_text and "Punto focal" in help_text
    await ana.send("/language en")
    assert (await ana.last_message()).text == "From now on I will write to you in English."  # type: ignore[union-attr]
    async with harness.session() as session:
        person = (await session.exec(select(Person).where(Person.telegram_id == ana.id))).one()
        assert person.language == "en" and person.language_chosen


async def test_language_refuses_unknown_and_forged_buttons(harness: Harness) -> None:
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    await ana.send("/language fr")
    assert "Hablo inglés (en) y español (es)" in (await ana.last_message()).text  # type: ignore[union-attr]
    await ana.send("/language")
    question = await ana.last_message()
    assert question is not None
    await ana.press_data("lang:fr", question.message_id)
    assert (await ana.last_callback_answer()).text == "Ese botón ya no está activo."  # type: ignore[union-attr]
    async with harness.session() as session:
        person = (await session.exec(select(Person).where(Person.telegram_id == ana.id))).one()
        assert person.language == "es" and not person.language_chosen


async def test_menus_per_language_and_role(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    await harness.restart()  # menus are published at start
    ana_menu = {c.command: c.description for c in ana.visible_commands()}
    assert ana_menu["help"] == "Lo que puedo hacer por usted"
    assert "invite" not in ana_menu
    tess_menu = {c.command: c.description for c in tess.visible_commands()}
    assert tess_menu["invite"] == "Create an invitation link"
    stranger = harness.user("stranger", lang="en")
    assert {c.command for c in stranger.visible_commands()} >= {"start", "help", "language"}


async def test_only_ts_sets_ppt_and_troika_is_shown(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    vm, _ = await harness.person("victor", "vice_minister", "GT", lang="es")
    await vm.send("/ppt GT")
    assert "No tiene permiso" in (await vm.last_message()).text  # type: ignore[union-attr]
    await tess.send("/ppt GT 2025")
    confirmation = (await tess.last_message()).text  # type: ignore[union-attr]
    assert "from November 1, 2025 to October 31, 2026 is Guatemala" in confirmation
    await tess.send("/ppt HN 2026")
    await harness.settle()  # updates of different people are handled concurrently
    await vm.send("/status")
    status = (await vm.last_message()).text  # type: ignore[union-attr]
    assert "Su país ejerce la Presidencia Pro Tempore." in status
    assert "PPT entrante: Honduras" in status
    # The new PPT's Vice-Minister now has the admin menu.
    assert "vote" in {c.command for c in vm.visible_commands()} or "close" in {
        c.command for c in vm.visible_commands()
    }
    async with harness.session() as session:
        rows = (await session.exec(select(Presidency))).all()
        assert {(p.term_year) for p in rows} == {2025, 2026}
        actions = [a.action for a in (await session.exec(select(AuditEntry))).all()]
        assert actions.count("ppt.set") == 2


async def test_focal_point_cannot_invite_and_nothing_is_stored(harness: Harness) -> None:
    ana, _ = await harness.person("ana", "focal_point", "MX", lang="es")
    await ana.send("/invite CR focal_point")
    assert "No tiene permiso" in (await ana.last_message()).text  # type: ignore[union-attr]
    async with harness.session() as session:
        assert (await session.exec(select(Invitation))).all() == []


async def test_invite_bad_input_changes_nothing(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    for command, expected in [
        ("/invite ZZ focal_point", "Unknown member state ZZ"),
        ("/invite MX minister", "Unknown role minister"),
        ("/invite MX focal_point 500", "between 1 and 90"),
        ("/invite TS vice_minister", "must be bound to a member state"),
    ]:
        await tess.send(command)
        assert expected in (await tess.last_message()).text, command  # type: ignore[union-attr]
    async with harness.session() as session:
        assert (await session.exec(select(Invitation))).all() == []


async def test_invite_as_a_guided_conversation(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts", lang="es")
    await tess.send("/invite")
    assert "¿Para quién es la invitación?" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send("PA")
    assert "¿Qué roles?" in (await tess.last_message()).text  # type: ignore[union-attr]
    await tess.send("vice_minister,alternate")
    answer = (await tess.last_message()).text  # type: ignore[union-attr]
    assert "Panamá" in answer and f"https://t.me/{BOT_USERNAME}?start=" in answer
    await tess.send("anything")
    assert "No entendí su mensaje" in (await tess.last_message()).text  # type: ignore[union-attr]


async def test_cancel_a_conversation(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    await tess.send("/invite")
    await tess.send("/cancel")
    assert (await tess.last_message()).text == "Cancelled. Nothing was sent."  # type: ignore[union-attr]
    await tess.send("MX")
    assert "I did not understand" in (await tess.last_message()).text  # type: ignore[union-attr]


async def test_groups_get_one_line_and_nothing_else(harness: Harness) -> None:
    tess, _ = await harness.person("tess", "ts")
    group = harness.server.group("RCM focal points", [tess])
    await group.send(tess, "/invite MX focal_point")
    await harness.settle()
    replies = group.bot_messages()
    assert len(replies) == 1
    assert "private chats only" in replies[0].text and "chats privados" in replies[0].text
    async with harness.session() as session:
        assert (await session.exec(select(Invitation))).all() == []


async def test_unknown_command_and_status_of_unknown_id(harness: Harness) -> None:
    ana, _ = await harness.person("ana", "focal_point", "MX")
    await ana.send("/frobnicate")
    assert "I do not know that command" in (await ana.last_message()).text  # type: ignore[union-attr]
    await ana.send("/status Q12")
    assert "Nothing has an id starting with Q" in (await ana.last_message()).text  # type: ignore[union-attr]
    await ana.send("/status 12")
    assert "is not an id" in (await ana.last_message()).text  # type: ignore[union-attr]
