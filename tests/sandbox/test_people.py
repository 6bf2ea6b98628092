"""Simulated users and groups: updates, blocking, buttons, edits, deletions, transcripts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import telegram
import time_machine
from telegram.error import BadRequest, Forbidden

from bot.sandbox import BotApiServer, Button, Limits
from tests.sandbox.conftest import RawApi

KEYBOARD = {
    "inline_keyboard": [
        [{"text": "Yes", "callback_data": "vote:yes"}, {"text": "No", "callback_data": "vote:no"}],
        [{"text": "Agenda", "url": "https://example.org/agenda"}],
    ]
}


@pytest.fixture(autouse=True)
def _no_flood_limits(sandbox: BotApiServer) -> None:
    sandbox.limits = Limits(enabled=False)


async def test_user_message_update_has_a_bot_command_entity(
    sandbox: BotApiServer, api: RawApi
) -> None:
    ana = sandbox.user("ana", lang="es", last_name="Pérez", username="ana_p")
    assert ana.id == 1001
    assert sandbox.user("ben").id == 1002
    await ana.send("/start@rcm_sandbox_bot now")
    (update,) = (await api("getUpdates")).result
    message = update["message"]
    assert message["from"] == {
        "id": 1001,
        "is_bot": False,
        "first_name": "Ana",
        "last_name": "Pérez",
        "username": "ana_p",
        "language_code": "es",
    }
    assert message["chat"]["type"] == "private"
    assert message["entities"] == [{"offset": 0, "length": 22, "type": "bot_command"}]


async def test_client_refuses_overlong_text(sandbox: BotApiServer) -> None:
    ana = sandbox.user("ana")
    await ana.send("x" * 4096)
    with pytest.raises(ValueError, match="4097"):
        await ana.send("x" * 4097)


async def test_blocked_and_never_started_users(sandbox: BotApiServer, ptb: telegram.Bot) -> None:
    ana = sandbox.user("ana")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await ptb.send_message(ana.id, "hello")
    await ana.send("/start")
    ana.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await ptb.send_message(ana.id, "hello")
    ana.unblock()
    await ptb.send_message(ana.id, "welcome back")
    updates = await ptb.get_updates()
    statuses = [u.my_chat_member.new_chat_member.status for u in updates if u.my_chat_member]
    assert statuses == ["kicked", "member"]


async def test_press_sends_callback_and_records_the_answer(
    sandbox: BotApiServer, api: RawApi
) -> None:
    ana = sandbox.user("ana")
    await ana.send("/vote")
    sent = (await api("sendMessage", chat_id=ana.id, text="Vote?", reply_markup=KEYBOARD)).result
    last = await ana.last_message()
    assert last is not None
    assert last.buttons == (
        (Button("Yes", "vote:yes"), Button("No", "vote:no")),
        (Button("Agenda", "https://example.org/agenda"),),
    )
    query_id = await ana.press("Yes")
    updates = (await api("getUpdates")).result
    callback = updates[-1]["callback_query"]
    assert (callback["id"], callback["data"]) == (query_id, "vote:yes")
    assert callback["message"]["message_id"] == sent["message_id"]
    assert ana.callback_answers[query_id] is None
    ok = await api(
        "answerCallbackQuery", callback_query_id=query_id, text="Thanks", show_alert=True
    )
    assert ok.result is True
    answer = await ana.last_callback_answer()
    assert answer is not None and (answer.text, answer.show_alert) == ("Thanks", True)
    again = await api("answerCallbackQuery", callback_query_id=query_id)
    assert again.description == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    assert "Ana pressed [Yes]" in ana.transcript()


async def test_press_lookup_errors(sandbox: BotApiServer, api: RawApi) -> None:
    ana = sandbox.user("ana")
    await ana.send("/vote")
    await api("sendMessage", chat_id=ana.id, text="Vote?", reply_markup=KEYBOARD)
    with pytest.raises(LookupError, match=r"\[Yes\], \[No\], \[Agenda\]"):
        await ana.press("Maybe")
    with pytest.raises(LookupError, match="does not send callback data"):
        await ana.press("Agenda")
    assert (await ana.press("ye")) != ""  # a unique substring is accepted
    await api("sendMessage", chat_id=ana.id, text="plain")
    assert await ana.press("No")  # found on the older message that has it
    with pytest.raises(LookupError, match="no bot message 99"):
        await ana.press("Yes", message_id=99)
    with pytest.raises(LookupError, match="no inline buttons"):
        await sandbox.user("ben").press("Yes")


async def test_forged_callback_data_and_old_queries(sandbox: BotApiServer, api: RawApi) -> None:
    ana = sandbox.user("ana")
    await ana.send("/vote")
    sent = (await api("sendMessage", chat_id=ana.id, text="Vote?", reply_markup=KEYBOARD)).result
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC), tick=False) as traveller:
        query_id = await ana.press_data("admin:delete_all", sent["message_id"])
        assert (await api("getUpdates")).result[-1]["callback_query"]["data"] == "admin:delete_all"
        traveller.shift(16)
        late = await api("answerCallbackQuery", callback_query_id=query_id)
    assert late.status == 400
    long_text = await api(
        "answerCallbackQuery", callback_query_id=await ana.press("No"), text="x" * 201
    )
    assert long_text.description == "Bad Request: MESSAGE_TOO_LONG"


async def test_edits_and_deletions(sandbox: BotApiServer, ptb: telegram.Bot) -> None:
    ana = sandbox.user("ana")
    await ana.send("/start")
    sent = await ptb.send_message(ana.id, "Draft")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await ptb.edit_message_text("Draft", chat_id=ana.id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await ptb.edit_message_text("x", chat_id=ana.id, message_id=999)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await ptb.edit_message_text("x", chat_id=ana.id, message_id=1)
    edited = await ptb.edit_message_text("Final", chat_id=ana.id, message_id=sent.message_id)
    assert isinstance(edited, telegram.Message)
    assert edited.text == "Final" and edited.edit_date is not None
    record = ana.messages[-1]
    assert [e.text for e in record.edits] == ["Draft"]
    assert await ptb.delete_message(ana.id, sent.message_id)
    assert record.deleted
    assert await ana.last_message() is None
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await ptb.delete_message(ana.id, sent.message_id)
    transcript = sandbox.transcript(ana)
    assert "(edited 1×)" in transcript and "(deleted)" in transcript


async def test_edit_reply_markup_and_caption(sandbox: BotApiServer, api: RawApi) -> None:
    ana = sandbox.user("ana")
    await ana.send("/start")
    msg = (await api("sendMessage", chat_id=ana.id, text="Q", reply_markup=KEYBOARD)).result
    removed = await api("editMessageReplyMarkup", chat_id=ana.id, message_id=msg["message_id"])
    assert "reply_markup" not in removed.result
    assert ana.messages[-1].buttons == ()
    same = await api("editMessageReplyMarkup", chat_id=ana.id, message_id=msg["message_id"])
    assert same.description.startswith("Bad Request: message is not modified")
    no_caption = await api(
        "editMessageCaption", chat_id=ana.id, message_id=msg["message_id"], caption="c"
    )
    assert no_caption.description == "Bad Request: there is no caption in the message to edit"


async def test_wait_messages_and_settle_hook(sandbox: BotApiServer, api: RawApi) -> None:
    ana = sandbox.user("ana")
    settled: list[bool] = []

    async def settle() -> None:
        settled.append(True)

    sandbox.settle_hook = settle
    await ana.send("/start")

    async def reply_later() -> None:
        await asyncio.sleep(0.01)
        await api("sendMessage", chat_id=ana.id, text="one")
        await api("sendMessage", chat_id=ana.id, text="two")

    task = asyncio.create_task(reply_later())
    got = await ana.wait_messages(2, timeout=5)
    await task
    assert [m.text for m in got] == ["one", "two"]
    assert settled
    with pytest.raises(TimeoutError, match="waited"):
        await ana.wait_messages(3, timeout=0.05)


async def test_groups(sandbox: BotApiServer, api: RawApi) -> None:
    ana, ben = sandbox.user("ana"), sandbox.user("ben")
    group = sandbox.group("Focal points", members=[ana, ben])
    supergroup = sandbox.group("Plenary", supergroup=True)
    assert group.id < 0 and str(supergroup.id).startswith("-100")
    await group.send(ben, "/start@rcm_sandbox_bot")
    (update,) = (await api("getUpdates")).result
    assert update["message"]["chat"] == {"id": group.id, "type": "group", "title": "Focal points"}
    assert update["message"]["from"]["id"] == ben.id
    sent = await api("sendMessage", chat_id=group.id, text="hello group")
    assert sent.result["chat"]["type"] == "group"
    assert "hello group" in group.transcript()
    assert sandbox.stats.messages_per_chat[group.id] == 1


async def test_user_document_and_transcript(sandbox: BotApiServer, api: RawApi) -> None:
    ana = sandbox.user("ana")
    message = await ana.send_document(b"%PDF-1.7 report", "report.pdf", caption="Q2 report")
    (update,) = (await api("getUpdates")).result
    document = update["message"]["document"]
    assert (document["file_name"], document["mime_type"], document["file_size"]) == (
        "report.pdf",
        "application/pdf",
        15,
    )
    assert update["message"]["caption"] == "Q2 report"
    assert message.document is not None and message.document.data == b"%PDF-1.7 report"
    assert "📎 report.pdf (15 B)" in sandbox.transcript(ana)
