"""The one instance-variable table: the facade, the media preferences and the docs follow it."""

from __future__ import annotations

import re
import typing
from pathlib import Path

from appliance import PexRTC
from appliance.pexrtc import facade
from appliance.pexrtc.media import MediaPreferences
from appliance.pexrtc.variables import CHANGEABLE_IN_CALL, INSTANCE_VARIABLES, VARIABLES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "pexrtc.md"


def _documented_rows() -> dict[str, tuple[str, str]]:
    """``{variable: (default, changeable column)}`` of docs/pexrtc.md's instance-variable table."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Instance variables", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| `(\w+)` \| `([^`]+)` \| .* \| ([^|]+) \|$", line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3).strip())
    return rows


def test_a_new_pexrtc_holds_every_variable_at_the_table_default() -> None:
    rtc = PexRTC()
    assert {variable.name: getattr(rtc, variable.name) for variable in VARIABLES} == {
        variable.name: variable.default for variable in VARIABLES
    }


def test_the_facade_declares_a_type_for_every_variable_of_the_table_and_no_other() -> None:
    hints = typing.get_type_hints(PexRTC)
    declared = {name for name in hints if not name.startswith("on")}
    assert declared == set(INSTANCE_VARIABLES)


def test_the_facade_exports_the_tables_variable_list_and_changeable_set() -> None:
    assert facade.INSTANCE_VARIABLES is INSTANCE_VARIABLES
    assert facade.CHANGEABLE_IN_CALL is CHANGEABLE_IN_CALL


def test_media_preferences_default_to_what_a_new_pexrtc_holds() -> None:
    assert MediaPreferences() == MediaPreferences.of(PexRTC())


def test_media_preferences_read_each_variable_through_its_conversion() -> None:
    rtc = PexRTC()
    rtc.bandwidth_in = "768"  # type: ignore[assignment]  # as a ported form script assigns it
    rtc.echoCancellation = False
    prefs = MediaPreferences.of(rtc)
    assert prefs.bandwidth_in == 768
    assert prefs.echo_cancellation is False


def test_docs_list_every_variable_with_the_table_default_and_changeability() -> None:
    rows = _documented_rows()
    assert list(rows) == list(INSTANCE_VARIABLES)
    for variable in VARIABLES:
        default, changeable = rows[variable.name]
        assert default == repr(variable.default), variable.name
        assert changeable.startswith("yes") is variable.changeable_in_call, variable.name
