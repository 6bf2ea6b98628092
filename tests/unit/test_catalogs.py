"""Every user-visible string exists in both catalogs; Spanish is complete and not fuzzy."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from bot import catalogs
from bot.i18n import gettext, use_language

_FIELD = re.compile(r"\{(\w*)\}")


def test_template_matches_the_code_and_spanish_is_complete() -> None:
    found = catalogs.problems()
    assert found.stale_template == [], "run `python -m bot i18n update`"
    assert found.missing_in == {"en": [], "es": []}
    assert found.untranslated == [], "Spanish entries empty or fuzzy"


def test_spanish_keeps_every_placeholder_and_tag() -> None:
    with catalogs.po_path("es").open("rb") as fp:
        catalog = read_po(fp, locale="es")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(_FIELD.findall(ids[-1]))
        for text in strings:
            assert set(_FIELD.findall(text)) == wanted, message.id
            assert text.count("<b>") == ids[0].count("<b>"), message.id


def test_translation_is_used() -> None:
    with use_language("es"):
        assert gettext("Focal point") == "Punto focal"
    with use_language("en"):
        assert gettext("Focal point") == "Focal point"


def _filled(text: str) -> str:
    return _FIELD.sub("x", text)


def test_every_string_is_valid_telegram_html_in_both_languages() -> None:
    """Catalog strings are sent with parse_mode HTML: a stray `<` would make Telegram refuse
    the whole message. Checked with the sandbox's parser, which follows Telegram's rules."""
    from bot.sandbox.markup import parse_html

    for lang in ("en", "es"):
        with catalogs.po_path(lang).open("rb") as fp:
            catalog = read_po(fp, locale=lang)
        for message in catalog:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in [*ids, *strings]:
                if text:
                    parse_html(_filled(text))
