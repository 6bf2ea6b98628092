"""HTTP surface: tokens, URLs, method names, request encodings, loopback only."""

from __future__ import annotations

import pytest
import telegram
from telegram.error import EndPointNotFound, InvalidToken
from telegram.request import HTTPXRequest

from bot.sandbox import BotApiServer, Limits
from tests.sandbox.conftest import TOKEN, RawApi


async def test_get_me_through_ptb(ptb: telegram.Bot) -> None:
    me = await ptb.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "rcm_sandbox_bot", True)


async def test_unknown_token_is_unauthorized(sandbox: BotApiServer, api: RawApi) -> None:
    answer = await api("getMe", token="999:nope")
    assert (answer.status, answer.body) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    request = HTTPXRequest()
    bot = telegram.Bot("999:nope", base_url=sandbox.base_url, request=request)
    try:
        with pytest.raises(InvalidToken):
            await bot.get_me()
    finally:
        await request.shutdown()


async def test_malformed_url_and_unknown_method(sandbox: BotApiServer, api: RawApi) -> None:
    status, body = await api.get("/nothing/here")
    assert status == 404 and b'"description":"Not Found"' in body
    unknown = await api("sendTelegram")
    assert (unknown.status, unknown.description) == (404, "Not Found: method not found")
    assert (await api("GETME")).status == 200  # method names are case-insensitive


async def test_ptb_reports_unknown_endpoint(ptb: telegram.Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await ptb.do_api_request("definitelyNotAMethod")


async def test_unsimulated_method_is_refused_not_faked(api: RawApi) -> None:
    answer = await api("sendDice", chat_id=1)
    assert answer.status == 400
    assert "sendDice is not implemented" in answer.description


async def test_all_request_encodings(sandbox: BotApiServer, api: RawApi) -> None:
    sandbox.limits = Limits(enabled=False)
    ana = sandbox.user("ana")
    await ana.send("/start")
    markup = '{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}'
    form = await api.form(
        "sendMessage", {"chat_id": str(ana.id), "text": "form", "reply_markup": markup}
    )
    assert form.result["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    url = f"{sandbox.base_url}{TOKEN}/sendMessage"
    async with api.session.get(url, params={"chat_id": str(ana.id), "text": "query"}) as resp:
        assert resp.status == 200
    json_body = await api(
        "sendMessage", chat_id=str(ana.id), text="json", disable_notification="true"
    )
    assert json_body.result["text"] == "json"
    bad_type = await api("sendMessage", chat_id=ana.id, text="x", disable_notification="maybe")
    assert bad_type.status == 400
    assert [m.text for m in ana.bot_messages()] == ["form", "query", "json"]


async def test_get_chat_and_chat_action(sandbox: BotApiServer, api: RawApi) -> None:
    ana = sandbox.user("ana", last_name="Ruiz")
    hidden = await api("getChat", chat_id=ana.id)
    assert hidden.description == "Bad Request: chat not found"
    await ana.send("hola")
    chat = (await api("getChat", chat_id=ana.id)).result
    assert (chat["type"], chat["first_name"], chat["last_name"]) == ("private", "Ana", "Ruiz")
    assert (await api("sendChatAction", chat_id=ana.id, action="typing")).result is True
    wrong = await api("sendChatAction", chat_id=ana.id, action="dancing")
    assert wrong.description == "Bad Request: wrong parameter action in request"
    assert ana.chat_actions == ["typing"]


async def test_log_out_revokes_the_token(api: RawApi) -> None:
    assert (await api("close")).result is True
    assert (await api("logOut")).result is True
    assert (await api("getMe")).status == 401


async def test_refuses_to_listen_beyond_loopback() -> None:
    server = BotApiServer()
    with pytest.raises(ValueError, match="loopback"):
        await server.start(host="0.0.0.0")  # noqa: S104 - the point of the test


def test_tokens_must_look_like_telegram_tokens() -> None:
    server = BotApiServer()
    with pytest.raises(ValueError, match="token"):
        server.add_bot("not-a-token")


async def test_counters(sandbox: BotApiServer, api: RawApi) -> None:
    ana = sandbox.user("ana")
    await ana.send("/start")
    await api("getMe")
    await api("sendMessage", chat_id=ana.id, text="x")
    assert sandbox.stats.calls["getMe"] == 1
    assert sandbox.stats.calls["sendMessage"] == 1
    assert sandbox.stats.messages_per_chat[ana.id] == 1
