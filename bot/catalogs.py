"""Catalog maintenance without leaving Python: `python -m bot i18n update|missing|fill|check`.

`update` extracts every marked string into `locales/messages.pot` and merges it into both
catalogs; `missing` lists Spanish entries still to write; `fill FILE` writes translations
from a JSON object {msgid: Spanish} (a list for plural forms); `check` fails when the
template is stale or a Spanish entry is empty or fuzzy (the tests call it too).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LANGUAGES, LOCALES_DIR, compile_catalogs

ROOT = LOCALES_DIR.parent
SOURCES = ("bot", "handlers", "schedules")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "Tr": None, "Plural": (1, 2)}
METHOD_MAP = [("**.py", "python")]
TEMPLATE = LOCALES_DIR / "messages.pot"


def extract() -> Catalog:
    catalog = Catalog(project="RCM focal-point bot", fuzzy=False)
    for source in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / source, METHOD_MAP, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            catalog.add(
                message,
                None,
                [(f"{source}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def _write(catalog: Catalog, path: Path) -> None:
    with path.open("wb") as out:
        write_po(out, catalog, no_location=True, sort_output=True, ignore_obsolete=True, width=100)


def po_path(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(lang: str) -> Catalog:
    with po_path(lang).open("rb") as fp:
        return read_po(fp, locale=lang)


def update() -> None:
    template = extract()
    _write(template, TEMPLATE)
    for lang in LANGUAGES:
        catalog = read(lang)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        _write(catalog, po_path(lang))


def _msgid(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


@dataclass(frozen=True)
class Problems:
    stale_template: list[str]  # strings in the code but not in messages.pot (or the reverse)
    untranslated: list[str]  # Spanish entries empty or fuzzy
    missing_in: dict[str, list[str]]  # catalog -> template strings it lacks

    @property
    def ok(self) -> bool:
        return not (self.stale_template or self.untranslated or any(self.missing_in.values()))


def problems() -> Problems:
    code = {_msgid(m.id) for m in extract() if m.id}
    with TEMPLATE.open("rb") as fp:
        template = {_msgid(m.id) for m in read_po(fp) if m.id}
    stale = sorted(code ^ template)
    missing_in: dict[str, list[str]] = {}
    untranslated = []
    for lang in LANGUAGES:
        catalog = read(lang)
        ids = {_msgid(m.id) for m in catalog if m.id}
        missing_in[lang] = sorted(template - ids)
        if lang == "es":
            for message in catalog:
                if not message.id:
                    continue
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.fuzzy or not all(strings):
                    untranslated.append(_msgid(message.id))
    return Problems(stale, sorted(untranslated), missing_in)


def fill(path: Path) -> int:
    """Write Spanish translations from a JSON file; returns how many entries were set."""
    translations: dict[str, str | list[str]] = json.loads(path.read_text(encoding="utf-8"))
    catalog = read("es")
    count = 0
    for message in catalog:
        if not message.id:
            continue
        value = translations.get(_msgid(message.id))
        if value is None:
            continue
        message.string = tuple(value) if isinstance(value, list) else value
        message.flags.discard("fuzzy")
        count += 1
    _write(catalog, po_path("es"))
    unknown = set(translations) - {_msgid(m.id) for m in catalog if m.id}
    for msgid in sorted(unknown):
        print(f"not in the catalog (run update first?): {msgid!r}", file=sys.stderr)
    return count


def main(action: str, file: Path | None) -> int:
    if action == "update":
        update()
        print(f"updated {TEMPLATE.relative_to(ROOT)} and the en/es catalogs")
        return 0
    if action == "compile":
        for path in compile_catalogs():
            print(f"compiled {path.relative_to(ROOT)}")
        return 0
    if action == "fill":
        if file is None:
            print("error: fill needs a JSON file {msgid: Spanish}", file=sys.stderr)
            return 2
        print(f"{fill(file)} Spanish entries written")
        return 0
    found = problems()
    if action == "missing":
        print(json.dumps({m: "" for m in found.untranslated}, ensure_ascii=False, indent=1))
        return 0
    # check
    for msgid in found.stale_template:
        print(f"template out of date (run `python -m bot i18n update`): {msgid!r}")
    for lang, ids in found.missing_in.items():
        for msgid in ids:
            print(f"missing in {lang}: {msgid!r}")
    for msgid in found.untranslated:
        print(f"Spanish translation empty or fuzzy: {msgid!r}")
    return 0 if found.ok else 1
