"""Logging: one line per event, JSON if asked, and never the token or what people wrote."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

# Bot tokens look like 123456:ABC-...; inside Telegram URLs they follow "/bot" directly, where
# a word boundary would not match, so only a digit before the id rules a match out.
_TOKEN = re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{20,}")

# Libraries whose debug output is the content itself: PTB logs every update it receives and
# every call's parameters (what people wrote, what the bot said), aiosqlite every statement
# with its values. They stay at INFO whatever LOG_LEVEL says; our own loggers follow it.
_CONTENT_LOGGERS = ("telegram", "aiosqlite")


def redact(text: str) -> str:
    return _TOKEN.sub("<token>", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg, record.args = redact(message), None
        return True


class PlainFormatter(logging.Formatter):
    """The human format; tracebacks too are redacted (an HTTP error names its URL)."""

    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str = "INFO", *, as_json: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactTokens())
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL, and Telegram URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    floor = max(logging.INFO, root.level)
    for name in _CONTENT_LOGGERS:
        logging.getLogger(name).setLevel(floor)
