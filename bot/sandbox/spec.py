"""The Bot API method and type catalogue the sandbox validates calls against.

The sandbox ships a compact copy of the machine-readable Bot API spec
(``bot_api.json``, derived from PaulSonOfLars/telegram-bot-api-spec, MIT) so that it
works from an installed package without the repository's ``shared/`` folder.
Regenerate it with ``python -m bot.sandbox.spec path/to/api.json``.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).with_name("bot_api.json")

# Subtypes of an abstract type (BotCommandScope, ...) are told apart by their "type"
# field, whose allowed value only appears in prose ("Scope type, must be chat").
_TYPE_VALUE_RE = re.compile(r"(?:must be|always)\s+[\"“]?([a-z_]+)[\"”]?")


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method, or one field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True)
class MethodSpec:
    """A Bot API method: its parameters and what it returns."""

    name: str
    fields: tuple[FieldSpec, ...]
    returns: tuple[str, ...]

    def field(self, name: str) -> FieldSpec | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


@dataclass(frozen=True)
class TypeSpec:
    """A Bot API object type; abstract types list their subtypes instead of fields."""

    name: str
    fields: tuple[FieldSpec, ...]
    subtypes: tuple[str, ...]
    type_value: str | None


@dataclass(frozen=True)
class ApiSpec:
    """The whole catalogue, keyed by method and type name."""

    version: str
    methods: dict[str, MethodSpec]
    types: dict[str, TypeSpec]


def compact_spec(full: dict[str, Any]) -> dict[str, Any]:
    """Reduce the upstream api.json to what validation needs (no prose)."""

    def fields(entry: dict[str, Any]) -> list[list[Any]]:
        return [[f["name"], f["types"], f["required"]] for f in entry.get("fields", [])]

    types: dict[str, Any] = {}
    for name, entry in full["types"].items():
        item: dict[str, Any] = {"fields": fields(entry)}
        if entry.get("subtypes"):
            item["subtypes"] = entry["subtypes"]
        for f in entry.get("fields", []):
            if f["name"] == "type":
                match = _TYPE_VALUE_RE.search(" ".join([f.get("description", "")]))
                if match:
                    item["type_value"] = match.group(1)
        types[name] = item
    return {
        "version": full["version"],
        "methods": {
            name: {"fields": fields(entry), "returns": entry.get("returns", [])}
            for name, entry in full["methods"].items()
        },
        "types": types,
    }


def _fields(raw: list[list[Any]]) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(name=n, types=tuple(t), required=bool(r)) for n, t, r in raw)


@cache
def load_spec(path: Path = SPEC_PATH) -> ApiSpec:
    """Load the shipped compact spec (cached: it never changes at run time)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return ApiSpec(
        version=raw["version"],
        methods={
            name: MethodSpec(name=name, fields=_fields(m["fields"]), returns=tuple(m["returns"]))
            for name, m in raw["methods"].items()
        },
        types={
            name: TypeSpec(
                name=name,
                fields=_fields(t["fields"]),
                subtypes=tuple(t.get("subtypes", ())),
                type_value=t.get("type_value"),
            )
            for name, t in raw["types"].items()
        },
    )


def main(argv: list[str]) -> int:
    """Regenerate the shipped compact spec from an upstream api.json."""
    if len(argv) != 1:
        sys.stderr.write("usage: python -m bot.sandbox.spec path/to/api.json\n")
        return 2
    full = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    text = json.dumps(compact_spec(full), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    SPEC_PATH.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
