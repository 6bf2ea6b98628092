"""The document store: files kept on disk by checksum, with a row each (SPEC section 4)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from datetime import datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import audit
from bot.errors import InputError
from bot.models.documents import StoredDocument
from bot.text import Tr

# Telegram lets bots download files of at most 20 MB (Bot API, getFile).
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


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
