"""Uploads, getFile and downloads."""

from __future__ import annotations

import io
import struct
import zlib

import aiohttp
import pytest
import telegram
from telegram.error import BadRequest

from bot.sandbox import BotApiServer, Limits
from tests.sandbox.conftest import RawApi


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
async def ana_id(sandbox: BotApiServer) -> int:
    sandbox.limits = Limits(enabled=False)
    ana = sandbox.user("ana")
    await ana.send("/start")
    return ana.id


async def test_document_round_trip_through_ptb(
    sandbox: BotApiServer, ptb: telegram.Bot, ana_id: int
) -> None:
    payload = b"%PDF-1.4\n" + bytes(range(256)) * 40
    sent = await ptb.send_document(
        ana_id, payload, filename="minutes.pdf", caption="<b>Minutes</b>", parse_mode="HTML"
    )
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.mime_type) == ("minutes.pdf", "application/pdf")
    assert sent.caption == "Minutes"
    record = sandbox.sent_messages(ana_id)[-1]
    assert record.document is not None and record.document.data == payload
    file = await ptb.get_file(sent.document.file_id)
    assert file.file_size == len(payload)
    assert bytes(await file.download_as_bytearray()) == payload
    again = await ptb.send_document(ana_id, sent.document.file_id)  # re-send by file_id
    assert again.document is not None and again.document.file_id == sent.document.file_id


async def test_user_file_over_20_mb_cannot_be_downloaded(
    sandbox: BotApiServer, ptb: telegram.Bot
) -> None:
    ana = sandbox.user("ana")
    small = await ana.send_document(b"data", "small.xlsx", "application/vnd.ms-excel")
    big = await ana.send_document(b"data", "big.pdf", file_size=25 * 1024 * 1024)
    assert small.document is not None and big.document is not None
    file = await ptb.get_file(small.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"data"
    with pytest.raises(BadRequest, match="File is too big"):
        await ptb.get_file(big.document.file_id)


async def test_photo_upload_and_multipart_attach(
    sandbox: BotApiServer, api: RawApi, ana_id: int
) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ana_id))
    form.add_field("photo", "attach://chart")
    form.add_field("chart", _png(40, 30), filename="chart.png", content_type="image/png")
    answer = await api.form("sendPhoto", form)
    (size,) = answer.result["photo"]
    assert (size["width"], size["height"]) == (40, 30)
    garbage = aiohttp.FormData()
    garbage.add_field("chat_id", str(ana_id))
    garbage.add_field("photo", b"not an image", filename="x.png")
    assert (await api.form("sendPhoto", garbage)).description == "Bad Request: IMAGE_PROCESS_FAILED"
    assert "🖼 photo 40×30" in sandbox.transcript(ana_id)


async def test_file_errors(api: RawApi, ana_id: int) -> None:
    assert (await api("getFile", file_id="nope")).description == "Bad Request: invalid file_id"
    missing = await api("sendDocument", chat_id=ana_id)
    assert missing.description == "Bad Request: there is no document in the request"
    unknown = await api("sendDocument", chat_id=ana_id, document="AAAA")
    assert unknown.description == "Bad Request: wrong file identifier/HTTP URL specified"
    status, _ = await api.get("/file/bot123456:SANDBOX-test_token/documents/none.pdf")
    assert status == 404


async def test_upload_over_50_mb_is_refused(api: RawApi, ana_id: int) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ana_id))
    form.add_field("document", io.BytesIO(bytes(50 * 1024 * 1024 + 1)), filename="huge.bin")
    answer = await api.form("sendDocument", form)
    assert (answer.status, answer.description) == (413, "Request Entity Too Large")
