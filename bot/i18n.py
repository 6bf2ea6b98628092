"""Gettext with Babel: the catalogs in `locales/`, the reader's locale in a ContextVar.

Strings are marked with `_()` where they are used and `N_()` where they are only declared
(module constants translated later). Formatting happens after translation:
`_("Hello {name}").format(name=...)`, never an f-string inside `_()`.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Final, Literal

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

Language = Literal["en", "es"]
LANGUAGES: Final[tuple[Language, ...]] = ("en", "es")
DOMAIN: Final = "messages"
LOCALES_DIR: Final = Path(__file__).resolve().parent.parent / "locales"

_current: ContextVar[Language] = ContextVar("language", default="en")
_catalogs: dict[str, _gettext.NullTranslations] = {}


def load_catalogs(locales_dir: Path = LOCALES_DIR) -> None:
    """Load both catalogs, compiling a `.po` in memory when its `.mo` is missing or older."""
    for lang in LANGUAGES:
        folder = locales_dir / lang / "LC_MESSAGES"
        po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as fp:
                _catalogs[lang] = _gettext.GNUTranslations(fp)
        elif po.exists():
            _catalogs[lang] = _compile(po)
        else:
            raise FileNotFoundError(f"no catalog for {lang!r} under {folder}")


def _compile(po: Path) -> _gettext.GNUTranslations:
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=po.parent.parent.name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def compile_catalogs(locales_dir: Path = LOCALES_DIR) -> list[Path]:
    """Write the `.mo` files (the Docker build and `make i18n-compile` call this)."""
    written = []
    for lang in LANGUAGES:
        folder = locales_dir / lang / "LC_MESSAGES"
        with (folder / f"{DOMAIN}.po").open("rb") as fp:
            catalog = read_po(fp, locale=lang)
        target = folder / f"{DOMAIN}.mo"
        with target.open("wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        written.append(target)
    return written


def _catalog(lang: str) -> _gettext.NullTranslations:
    if not _catalogs:
        load_catalogs()
    return _catalogs.get(lang) or _gettext.NullTranslations()


def current_language() -> Language:
    return _current.get()


def set_language(lang: Language) -> None:
    _current.set(lang)


@contextmanager
def use_language(lang: Language) -> Iterator[None]:
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return _catalog(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


_ = gettext


def negotiate(language_code: str | None, default: Language = "en") -> Language:
    """First guess of a person's language from Telegram's `language_code` (SPEC section 1)."""
    if not language_code:
        return default
    try:
        parsed = Locale.parse(language_code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return default
    if parsed.language == "es":
        return "es"
    if parsed.language == "en":
        return "en"
    return default


def babel_locale(lang: Language | None = None) -> Locale:
    return Locale.parse(lang or _current.get())


def is_language(value: str) -> bool:
    return value in LANGUAGES


def as_language(value: str | None, default: Language = "en") -> Language:
    """A stored language code as a Language (anything unknown becomes `default`)."""
    if value == "es":
        return "es"
    if value == "en":
        return "en"
    return default
