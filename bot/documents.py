"""The document store: files kept on disk by checksum, with a row each (SPEC section 4), and
receiving a file someone sent the bot: checked before it is downloaded (size, type) and
after (content), then stored."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot
from telegram import Document as TgDocument
from telegram.error import BadRequest

from bot import audit
from bot.errors import InputError
from bot.models.documents import StoredDocument
from bot.text import Tr

# Telegram lets bots download files of at most 20 MB (Bot API, getFile).
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


@dataclass(frozen=True)
class FileType:
    """What a step accepts: its MIME types, and the bytes its content starts with (a file's
    name and declared type are only claims; the signature is what it is)."""

    label: str
    mime_types: frozenset[str]
    signature: bytes
    extension: str
    # PDF readers accept the header within the first 1024 bytes (PDF 1.7, annex H.3).
    search: int = 1024


PDF = FileType("PDF", frozenset({"application/pdf"}), b"%PDF-", ".pdf")


@dataclass(frozen=True)
class Incoming:
    """A file as Telegram announces it, before anything is downloaded."""

    file_id: str
    file_name: str | None
    mime_type: str | None
    size: int | None

    @classmethod
    def of(cls, document: TgDocument) -> Incoming:
        return cls(document.file_id, document.file_name, document.mime_type, document.file_size)


def _too_big(size: int | None) -> InputError:
    megabytes = round(size / 1024 / 1024, 1) if size else None
    return InputError(
        Tr(
            "The file is too large ({size} MB): Telegram lets bots receive files of at most "
            "20 MB. Send a smaller file (a compressed PDF, for example). Nothing was saved.",
            size=megabytes if megabytes is not None else "> 20",
        )
    )


def check_incoming(incoming: Incoming, kind: FileType | None) -> None:
    """Refuse what cannot or should not be downloaded: over 20 MB, or not the right type
    (`kind` None: any type)."""
    if incoming.size is not None and incoming.size > MAX_DOWNLOAD_BYTES:
        raise _too_big(incoming.size)
    if kind is not None and (incoming.mime_type or "").lower() not in kind.mime_types:
        raise InputError(
            Tr(
                "{name} is not a {kind} file. Please send it as {kind}. Nothing was saved.",
                name=incoming.file_name or Tr("This file"),
                kind=kind.label,
            )
        )


def check_content(data: bytes, incoming: Incoming, kind: FileType | None) -> None:
    if kind is not None and kind.signature not in data[: kind.search + len(kind.signature)]:
        raise InputError(
            Tr(
                "{name} says it is a {kind} file, but its content is not {kind}. Please "
                "export the document as {kind} again. Nothing was saved.",
                name=incoming.file_name or Tr("This file"),
                kind=kind.label,
            )
        )


def safe_name(name: str) -> str:
    cleaned = _UNSAFE.sub("_", name).strip(" .") or "document"
    return cleaned[:200]


class DocumentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, document: StoredDocument) -> Path:
        return self.root / document.storage_path

    async def store(
        self,
        session: AsyncSession,
        data: bytes,
        *,
        file_name: str,
        mime_type: str,
        now: datetime,
        uploaded_by_id: int | None = None,
        telegram_file_id: str | None = None,
    ) -> StoredDocument:
        """Write the file (atomically, once per checksum) and record it."""
        if not data:
            raise InputError(Tr("The file is empty."))
        digest = hashlib.sha256(data).hexdigest()
        relative = f"{digest[:2]}/{digest}"
        await asyncio.to_thread(self._write, self.root / relative, data)
        document = StoredDocument(
            sha256=digest,
            file_name=safe_name(file_name),
            mime_type=mime_type or "application/octet-stream",
            size=len(data),
            storage_path=relative,
            telegram_file_id=telegram_file_id,
            uploaded_by_id=uploaded_by_id,
            created_at=now,
        )
        session.add(document)
        await session.flush()
        await audit.record(
            session,
            action="document.store",
            now=now,
            actor_id=uploaded_by_id,
            subject=f"document:{document.id}",
            sha256=digest,
            size=len(data),
            file_name=document.file_name,
        )
        return document

    async def receive(
        self,
        session: AsyncSession,
        bot: Bot,
        incoming: Incoming,
        kind: FileType | None = None,
        *,
        now: datetime,
        uploaded_by_id: int | None = None,
    ) -> StoredDocument:
        """The one way a file sent to the bot is kept: its size and type checked before
        anything is downloaded, its content checked after, then stored with its checksum and
        its Telegram file id (for sending it on). `kind` None accepts any type."""
        check_incoming(incoming, kind)
        try:
            file = await bot.get_file(incoming.file_id)
            data = bytes(await file.download_as_bytearray())
        except BadRequest as exc:
            if "too big" in exc.message.lower():  # the size was not announced
                raise _too_big(incoming.size) from None
            raise
        if len(data) > MAX_DOWNLOAD_BYTES:
            raise _too_big(len(data))
        check_content(data, incoming, kind)
        return await self.store(
            session,
            data,
            file_name=incoming.file_name or f"document{kind.extension if kind else ''}",
            mime_type=(incoming.mime_type or "").lower(),
            now=now,
            uploaded_by_id=uploaded_by_id,
            telegram_file_id=incoming.file_id,
        )

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".part")
        with temporary.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(target)

    async def read(self, document: StoredDocument) -> bytes:
        data = await asyncio.to_thread(self.path(document).read_bytes)
        if hashlib.sha256(data).hexdigest() != document.sha256:
            raise OSError(f"document {document.id} does not match its checksum")
        return data
