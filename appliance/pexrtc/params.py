"""The document's parameter vocabularies, checked before anything is sent.

pexrtc.js passes most arguments to the node untouched, and a typo then
surfaces as a silent no-op or a 400 much later. A ported script gets a
``ValueError`` naming the parameter and the accepted values instead, at the
line that made the mistake. The lists are the founding document's
(``transformLayout``, ``dialOut``'s params object, ``sendFECC``,
``setRole``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from appliance.infinity.models import (
    FECC_ACTIONS,
    FECC_DIRECTIONS,
    TRANSFORM_FLAG_KEYS,
    TRANSFORM_KEYS,
    TRANSFORM_STREAMING_KEYS,
)

DIAL_PARAMS: Final = frozenset(
    {
        "presentation_uri",
        "streaming",
        "dtmf_sequence",
        "call_type",
        "keep_conference_alive",
        "remote_display_name",
        "overlay_text",
    }
)
DIAL_PROTOCOLS: Final = ("sip", "h323", "rtmp", "mssip", "auto")
DIAL_ROLES: Final = ("HOST", "GUEST")
DIAL_CALL_TYPES: Final = ("video", "video-only", "audio")
KEEP_ALIVE: Final = (
    "keep_conference_alive",
    "keep_conference_alive_if_multiple",
    "keep_conference_alive_never",
)
PARTICIPANT_ROLES: Final = ("chair", "guest")


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, allowed))}, found {value!r}")
    return str(value)


def transforms(value: Mapping[str, Any]) -> dict[str, Any]:
    """Check a transformLayout object; ``{}`` is valid (it resets everything)."""
    if not isinstance(value, Mapping):
        raise ValueError(f"transforms: expected an object, found {type(value).__name__}")
    unknown = set(value) - TRANSFORM_KEYS
    if unknown:
        raise ValueError(
            f"transforms: unknown key(s) {', '.join(sorted(unknown))}; "
            f"the document lists {', '.join(sorted(TRANSFORM_KEYS))}"
        )
    for key in TRANSFORM_FLAG_KEYS & set(value):
        if not isinstance(value[key], bool):
            raise ValueError(f"transforms.{key}: expected true or false, found {value[key]!r}")
    streaming = value.get("streaming")
    if streaming is not None:
        if not isinstance(streaming, Mapping):
            raise ValueError(f"transforms.streaming: expected an object, found {streaming!r}")
        extra = set(streaming) - TRANSFORM_STREAMING_KEYS
        if extra:
            raise ValueError(
                f"transforms.streaming: unknown key(s) {', '.join(sorted(extra))}; "
                f"the document lists {', '.join(sorted(TRANSFORM_STREAMING_KEYS))}"
            )
    overlay = value.get("free_form_overlay_text")
    if overlay is not None and (isinstance(overlay, str) or not all(isinstance(t, str) for t in overlay)):
        raise ValueError(f"transforms.free_form_overlay_text: expected a list of strings, found {overlay!r}")
    return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in value.items()}


def dial(protocol: str, role: str | None, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """dialOut's protocol, role and params object → keyword arguments of ``ConferenceControl.dial``."""
    out: dict[str, Any] = {
        "protocol": _choice("protocol", protocol, DIAL_PROTOCOLS),
        "role": _choice("role", (role or "HOST").upper(), DIAL_ROLES),
    }
    params = dict(params or {})
    unknown = set(params) - DIAL_PARAMS
    if unknown:
        raise ValueError(
            f"dialOut params: unknown key(s) {', '.join(sorted(unknown))}; "
            f"the document lists {', '.join(sorted(DIAL_PARAMS))}"
        )
    if "presentation_uri" in params:
        out["presentation_url"] = str(params["presentation_uri"])
    if "streaming" in params:
        if not isinstance(params["streaming"], bool):
            raise ValueError(
                f"dialOut params.streaming: expected true or false, found {params['streaming']!r}"
            )
        out["streaming"] = params["streaming"]
    if "dtmf_sequence" in params:
        out["dtmf_sequence"] = str(params["dtmf_sequence"])
    if "call_type" in params:
        out["call_type"] = _choice("dialOut params.call_type", params["call_type"], DIAL_CALL_TYPES)
    if "keep_conference_alive" in params:
        out["keep_conference_alive"] = _choice(
            "dialOut params.keep_conference_alive", params["keep_conference_alive"], KEEP_ALIVE
        )
    if "remote_display_name" in params:
        out["remote_display_name"] = str(params["remote_display_name"])
    if "overlay_text" in params:
        out["text"] = str(params["overlay_text"])
    return out


def fecc(action: str, axis: str, direction: str) -> None:
    """The document's FECC vocabulary: start/stop/continue, pan/tilt/zoom and their directions."""
    _choice("action", action, FECC_ACTIONS)
    _choice("axis", axis, tuple(FECC_DIRECTIONS))
    _choice(f"direction for {axis}", direction, FECC_DIRECTIONS[axis])


def participant_role(setting: str) -> str:
    return _choice("setting", setting, PARTICIPANT_ROLES)


def transfer_role(role: str | None) -> str:
    return _choice("role", role or "chair", PARTICIPANT_ROLES)
