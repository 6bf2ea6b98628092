"""Exports as CSV: UTF-8 with a byte-order mark, so that spreadsheet programs read the
accents of Spanish names correctly, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import as_utc


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str | int | None]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def moment(value: datetime | None, tz: ZoneInfo) -> str | None:
    """A moment as spreadsheets read it: ISO 8601 in the conference time zone, with offset."""
    return as_utc(value).astimezone(tz).isoformat(timespec="minutes") if value else None


def _cell(value: str | int | None) -> str | int:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value  # text people wrote, never a formula
    return value


_FORMULA_STARTS = frozenset("=+-@\t\r")
