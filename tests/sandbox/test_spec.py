"""The shipped compact spec matches the Bot API spec the project pins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.sandbox.spec import SPEC_PATH, compact_spec, load_spec

SHARED = Path(__file__).resolve().parents[3] / "shared" / "telegram-bot-api" / "api.json"


def test_shipped_spec_is_bot_api_10() -> None:
    spec = load_spec()
    assert spec.version == "Bot API 10.0"
    send = spec.methods["sendMessage"]
    assert send.field("chat_id") is not None and send.field("text") is not None
    assert spec.types["BotCommandScopeChat"].type_value == "chat"


@pytest.mark.skipif(not SHARED.exists(), reason="shared/ spec not beside the repository")
def test_shipped_spec_matches_shared_api_json() -> None:
    full = json.loads(SHARED.read_text(encoding="utf-8"))
    assert json.loads(SPEC_PATH.read_text(encoding="utf-8")) == compact_spec(full)
