"""The kiosk's words in the room's language: gettext catalogues kept with Babel.

Every sentence the kiosk shows goes through :meth:`Translator._` (or is
marked with :func:`N_` where it is defined and translated where it is
drawn), so ``pybabel extract`` finds it (docs/kiosk.md, "Languages").
English is the source language; each other language is a ``.po`` file in
``appliance/ui/locale/<lang>/LC_MESSAGES/kiosk.po``, compiled in memory when
the kiosk starts (no generated ``.mo`` in the repository to go stale).
The site file's ``[appliance] language`` picks one; times are formatted by
Babel for that locale (24-hour clock in German, 12-hour in English).
"""

from __future__ import annotations

import datetime
import gettext
import io
from functools import cache
from importlib import resources

from babel.dates import format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from appliance.errors import ConfigError

DOMAIN = "kiosk"
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it here (translated where drawn)."""
    return message


def catalogue_path(language: str) -> resources.abc.Traversable:
    return resources.files("appliance.ui") / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def available_languages() -> tuple[str, ...]:
    """English plus every language with a catalogue in the package."""
    root = resources.files("appliance.ui") / "locale"
    found = sorted(
        entry.name for entry in root.iterdir() if (entry / "LC_MESSAGES" / f"{DOMAIN}.po").is_file()
    )
    return (SOURCE_LANGUAGE, *found)


class Translator:
    """One language's gettext, plus the clock and durations as that locale writes them."""

    def __init__(self, language: str = SOURCE_LANGUAGE) -> None:
        languages = available_languages()
        if language not in languages:
            raise ConfigError(f"kiosk language {language!r} has no catalogue; have {', '.join(languages)}")
        self.language = language
        self._translations = _load(language)

    def _(self, message: str) -> str:
        """``message`` in this language (itself when the catalogue lacks it)."""
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self._translations.ngettext(singular, plural, count)

    def clock(self, when: datetime.datetime) -> str:
        """The time of day as this locale writes it on a clock (hours and minutes)."""
        return format_time(when, format="short", locale=self.language)

    @staticmethod
    def duration(seconds: float) -> str:
        """A call's length: ``4:05`` or ``1:04:05``."""
        total = max(0, int(seconds))
        hours, rest = divmod(total, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@cache
def _load(language: str) -> gettext.NullTranslations:
    if language == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
