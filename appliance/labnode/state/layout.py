"""Layouts: ``transform_layout`` rules, speaker order and what each listener sees.

Pure functions, no I/O: the conference feeds them its roster and gets back
the ``layout`` and ``stage`` event bodies and the :class:`MixState` it hands
to the media. Keeping the rules here means the event a client receives and
the picture the mixer composes are computed by the same code and cannot
disagree; the layouts drawn and their capacities come from
:mod:`~appliance.labnode.media.compositor_layout` for the same reason.

Rules (reference §3.6 and the seed document): transforms are cumulative and
``{}`` resets them; ``host_layout``/``guest_layout`` exist only in a Virtual
Auditorium (anywhere else 400); the main speaker is chosen by spotlight
first (earliest spotlight first), then by voice activity (most recent
speaker first), then by join time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from appliance.infinity.models import (
    LAYOUTS,
    TRANSFORM_FLAG_KEYS,
    TRANSFORM_KEYS,
    TRANSFORM_LAYOUT_KEYS,
    Role,
    StageEntry,
)
from appliance.labnode.media_api import MixState, capacity, resolve_view

AUDITORIUM_ONLY: Final = frozenset({"host_layout", "guest_layout"})


class TransformError(ValueError):
    """A ``transform_layout`` request the node refuses with 400 and this text."""


def merge_transforms(
    current: Mapping[str, Any], requested: Mapping[str, Any], *, auditorium: bool
) -> dict[str, Any]:
    """Apply one ``transform_layout`` request to the accumulated transforms."""
    if not requested:
        return {}
    merged = dict(current)
    for key, value in requested.items():
        if key in AUDITORIUM_ONLY and not auditorium:
            raise TransformError(f"{key} is only available in a Virtual Auditorium")
        if key in TRANSFORM_LAYOUT_KEYS:
            if value not in LAYOUTS:
                raise TransformError(f"Invalid layout {value!r} for {key}; available: {', '.join(LAYOUTS)}")
        elif key in TRANSFORM_FLAG_KEYS:
            if not isinstance(value, bool):
                raise TransformError(f"{key} must be true or false")
        elif key == "free_form_overlay_text":
            if not (isinstance(value, list) and all(isinstance(t, str) for t in value)):
                raise TransformError("free_form_overlay_text must be a list of strings")
        elif key == "streaming":
            if not isinstance(value, dict):
                raise TransformError("streaming must be an object")
        else:
            known = sorted(TRANSFORM_KEYS)
            raise TransformError(f"Unknown transform {key!r}; known: {', '.join(known)}")
        merged[key] = value
    return merged


def view_for(transforms: Mapping[str, Any], role: Role, default: str) -> str:
    """The layout a Host or a Guest actually sees: the one asked for, as the compositor draws it.

    Layouts the compositor does not draw (16:0, 1:21, Teams-like ...) fall
    back to the nearest drawn one, and the ``layout`` event names the drawn
    one, so a client's idea of the picture (its tile count, who is in it)
    matches the pixels. ``requested_layout`` still says what was asked for.
    """
    base = str(transforms.get("layout", default))
    key = "host_layout" if role is Role.HOST else "guest_layout"
    return resolve_view(str(transforms.get(key, base)))


def requested_layout(transforms: Mapping[str, Any], default: str) -> dict[str, Any]:
    base = str(transforms.get("layout", default))
    return {
        "primary_screen": {
            "chair_layout": str(transforms.get("host_layout", base)),
            "guest_layout": str(transforms.get("guest_layout", base)),
        }
    }


def overlay_text_enabled(transforms: Mapping[str, Any]) -> bool:
    return bool(transforms.get("enable_overlay_text", True))


@dataclass(frozen=True, slots=True)
class Speaker:
    """What ordering needs to know of one participant with media."""

    uuid: str
    spotlight: float
    speaking: bool
    last_spoken_time: float
    start_time: float


def speaker_order(speakers: Iterable[Speaker]) -> list[str]:
    """Spotlit first (by spotlight time), then speaking, then most recent speaker, then join time."""

    def key(s: Speaker) -> tuple[int, float, int, float, float]:
        spotlit = s.spotlight > 0
        return (
            0 if spotlit else 1,
            s.spotlight if spotlit else 0.0,
            0 if s.speaking else 1,
            -s.last_spoken_time,
            s.start_time,
        )

    return [s.uuid for s in sorted(speakers, key=key)]


def stage(order: Iterable[str], speaking: Iterable[str]) -> list[dict[str, Any]]:
    """The ``stage`` event body: a JSON array, vad 100 speaking / 0 silent."""
    active = set(speaking)
    return [
        StageEntry(participant_uuid=uuid, stage_index=index, vad=100 if uuid in active else 0).to_wire()
        for index, uuid in enumerate(order)
    ]


def visible(order: Iterable[str], listener: str, view: str) -> list[str]:
    """Who appears in ``listener``'s layout: everyone else, cut to the layout's tiles."""
    others = [uuid for uuid in order if uuid != listener]
    return others[: capacity(view)]


def layout_event(
    *,
    view: str,
    order: Iterable[str],
    listener: str,
    listener_has_media: bool,
    transforms: Mapping[str, Any],
    default: str,
) -> dict[str, Any]:
    """The per-listener ``layout`` event; API-only listeners get an empty list (§6)."""
    return {
        "view": view,
        "participants": visible(order, listener, view) if listener_has_media else [],
        "requested_layout": requested_layout(transforms, default),
        "overlay_text_enabled": overlay_text_enabled(transforms),
    }


def mix_state(
    *,
    view: str,
    order: Iterable[str],
    listener: str,
    overlay_texts: Mapping[str, str],
    transforms: Mapping[str, Any],
) -> MixState:
    shown = visible(order, listener, view)
    return MixState(
        view=view,
        order=tuple(shown),
        overlay_text={uuid: overlay_texts.get(uuid, "") for uuid in shown},
        overlay_text_enabled=overlay_text_enabled(transforms),
    )
