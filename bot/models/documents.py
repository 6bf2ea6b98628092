"""Official records: every document the TS sends is kept by the bot, file and checksum
(SPEC section 4), not only as a Telegram file id."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from bot.models.base import utc_field


class StoredDocument(SQLModel, table=True):
    __tablename__ = "stored_document"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    file_name: str = Field(max_length=255)
    mime_type: str = Field(max_length=120)
    size: int
    storage_path: str = Field(max_length=400)  # relative to DOCUMENTS_DIR
    telegram_file_id: str | None = Field(default=None, max_length=255)
    uploaded_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = utc_field()
