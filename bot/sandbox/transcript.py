"""Readable transcripts of a chat, for the demo and for failing-test messages."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.sandbox.models import ChatMessage, PressEvent
from bot.sandbox.state import ChatState, SimBot


def _clock(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S")


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _indent(text: str) -> str:
    return text.replace("\n", "\n    ")


def _message_lines(message: ChatMessage, bot_name: str) -> list[str]:
    who = bot_name if message.from_bot else message.sender.first_name
    head = f"[{_clock(message.date)}] {who}:"
    lines: list[str] = []
    if message.document is not None:
        doc = message.document
        lines.append(f"{head} 📎 {doc.file_name or 'file'} ({_size(doc.file_size)})")
        head = "   "
    if message.photo is not None:
        photo = message.photo
        lines.append(f"{head} 🖼 photo {photo.width}×{photo.height} ({_size(photo.file_size)})")
        head = "   "
    body = message.text if message.text is not None else message.caption
    if body:
        lines.append(f"{head} {_indent(body)}")
    elif not lines:
        lines.append(f"{head} (empty)")
    for row in message.buttons:
        lines.append("    " + " ".join(f"[{b.label}]" for b in row))
    if message.edits:
        lines.append(f"    (edited {len(message.edits)}×)")
    if message.deleted:
        lines.append("    (deleted)")
    return lines


def render(bot: SimBot, state: ChatState) -> str:
    """The chat's log: messages in both directions, button presses and their answers."""
    chat = state.chat
    title = chat.title if chat.is_group else (chat.user.first_name if chat.user else str(chat.id))
    out = [f"— chat with {title} (id {chat.id}) —"]
    bot_name = bot.user.first_name
    for entry in state.log:
        if isinstance(entry, PressEvent):
            label = f"[{entry.label}]" if entry.label is not None else f"data {entry.data!r}"
            out.append(f"[{_clock(entry.date)}] {entry.user.first_name} pressed {label}")
            query = bot.callback_queries.get(entry.query_id)
            if query is not None and query.answer is not None and query.answer.text:
                kind = "alert" if query.answer.show_alert else "toast"
                out.append(f"    ({kind}: {query.answer.text})")
        else:
            out.extend(_message_lines(entry, bot_name))
    return "\n".join(out)
