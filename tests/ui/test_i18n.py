"""The kiosk's words: every one translated, every character in the font, the language from the site file."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import appliance.ui
from appliance.errors import ConfigError
from appliance.ui.i18n import Translator, available_languages, catalogue_path
from appliance.ui.text import Fonts

KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def _source_messages() -> set[str]:
    root = Path(appliance.ui.__file__).parent
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(root), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        found.update(message if isinstance(message, tuple) else (message,))
    return found


def test_i18n_german_is_shipped() -> None:
    assert "de" in available_languages()


def test_i18n_every_message_in_the_source_has_a_german_translation() -> None:
    with catalogue_path("de").open("rb") as po:
        catalog = read_po(po)
    missing = sorted(
        m
        for m in _source_messages()
        if not (catalog.get(m) and catalog.get(m).string and not catalog.get(m).fuzzy)
    )
    assert not missing, f"untranslated: {missing}; see docs/kiosk.md, Languages"


@pytest.mark.parametrize("language", available_languages())
def test_i18n_font_draws_every_character_of_the_catalogue(language: str, sdl_display) -> None:
    fonts = Fonts()
    translator = Translator(language)
    lacking = [m for m in _source_messages() if not fonts.has_glyphs(translator._(m))]
    assert not lacking


def test_i18n_unknown_language_is_refused_with_the_choices() -> None:
    with pytest.raises(ConfigError, match="have en, de"):
        Translator("xx")


def test_i18n_clock_follows_the_locale() -> None:
    when = datetime.datetime(2026, 12, 4, 14, 5)
    assert Translator("de").clock(when) == "14:05"
    assert Translator("en").clock(when).replace("\u202f", " ") == "2:05 PM"


def test_i18n_duration_shows_hours_only_when_needed() -> None:
    assert Translator.duration(754) == "12:34"
    assert Translator.duration(3600 + 65) == "1:01:05"


def test_i18n_site_file_offers_exactly_the_shipped_languages() -> None:
    from appliance.config.site import KIOSK_LANGUAGES

    assert set(KIOSK_LANGUAGES) == set(available_languages())
