"""Read the founding document's lists of names straight from its text.

The PexRTC API document (v33) is the contract users port from, so the lists
of methods, callbacks, instance variables and fields are taken from the
document itself rather than typed in a second time: a test compares them
with :class:`appliance.pexrtc.facade.PexRTC`, and any drift between the two
fails loudly.

The text is a PDF extraction: non-breaking spaces everywhere, signatures and
names wrapped mid-identifier (``requestAspectRatio(aspect_\\nratio)``,
``user_media_\\nstream``) and paired names (``audio_source / video_source``).
The parser undoes exactly those artefacts and nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_NBSP: Final = "\u00a0"
_SIGNATURE: Final = re.compile(r"(?m)^([a-z][A-Za-z]*)\s*\(([^)]*)\)")
_TYPE_WORDS: Final = ("string", "boolean", "number", "object")
_NAME: Final = r"[a-z][A-Za-z0-9_]*"
_ENTRY: Final = re.compile(
    rf"^(?P<names>{_NAME}(?:\s*/\s*{_NAME})?)\s*(?P<type>{'|'.join(_TYPE_WORDS)})?(?:\s|$)",
)
_DEFAULT: Final = re.compile(r"^Defaults?:\s*(?P<value>[^;\n]+)")


@dataclass(frozen=True, slots=True)
class Variable:
    """An instance variable or field: its name, declared type and documented default."""

    name: str
    type: str
    # The default as written ("true", "1280", "none"), or None when the
    # document gives none.
    default: str | None


@dataclass(frozen=True, slots=True)
class ApiDocument:
    """Every name the document declares, in document order."""

    methods: dict[str, tuple[str, ...]]
    callbacks: dict[str, tuple[str, ...]]
    instance_variables: dict[str, Variable]
    fields: dict[str, Variable]


def _normalise(text: str) -> str:
    return text.replace(_NBSP, " ")


def _between(text: str, start: str, end: str) -> str:
    try:
        begin = text.index(start)
        return text[begin : text.index(end, begin + len(start))]
    except ValueError:
        raise ValueError(f"PexRTC document: section {start.strip()!r} .. {end.strip()!r} not found") from None


def _signatures(part: str) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for match in _SIGNATURE.finditer(part):
        params = re.sub(r"_\s*\n\s*", "_", match.group(2)).replace("\n", " ")
        found[match.group(1)] = tuple(p.strip() for p in params.split(",") if p.strip())
    return found


def _name_then_type_entries(section: str) -> dict[str, Variable]:
    """Entries laid out as ``name\\n\\ntype Description`` (wrapped names)."""
    section = re.sub(r"_\n", "_", section)
    section = re.sub(r"/\s*\n", "/ ", section)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", section) if p.strip()]
    found: dict[str, Variable] = {}
    current: list[str] = []
    index = 0
    while index < len(paragraphs):
        paragraph = paragraphs[index]
        default = _DEFAULT.match(paragraph)
        if default and current:
            value = default.group("value").strip()
            for name in current:
                found[name] = Variable(name, found[name].type, value)
            index += 1
            continue
        entry = _ENTRY.match(paragraph)
        if entry is not None:
            names = [n.strip() for n in entry.group("names").split("/")]
            type_word = entry.group("type")
            if type_word is None and paragraph == entry.group("names") and index + 1 < len(paragraphs):
                head = paragraphs[index + 1].split(" ", 1)[0]
                if head in _TYPE_WORDS:
                    type_word = head
                    index += 1
            if type_word is not None:
                for name in names:
                    found[name] = Variable(name, type_word, None)
                current = names
        index += 1
    return found


def parse(text: str) -> ApiDocument:
    """Parse the document text; raises ``ValueError`` naming a missing section."""
    text = _normalise(text)
    summary = _between(text, "Summary of API functions", "Variables and fields")
    methods = _signatures(_between(summary, "\nMethods\n", "\nCallbacks\n"))
    callbacks = _signatures(summary[summary.index("\nCallbacks\n") :])
    variables = _name_then_type_entries(_between(text, " Instance variables\n", " Fields\n"))
    fields = _name_then_type_entries(_between(text, " Fields\n", " Changelog"))
    return ApiDocument(methods=methods, callbacks=callbacks, instance_variables=variables, fields=fields)


def load(path: Path) -> ApiDocument:
    return parse(path.read_text(encoding="utf-8"))
