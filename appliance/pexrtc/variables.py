"""The PexRTC instance variables: one table, from which everything else is derived.

The founding document lists nineteen instance variables with a default each
and a "Changeable in-call" column; most of them also feed the media engine.
Before this table the names, the defaults, the changeable set and the
mapping to :class:`appliance.pexrtc.media.MediaPreferences` were five lists
that had to agree by hand. Now the facade's defaults and its variable list
(:mod:`appliance.pexrtc.facade`), the media preferences' defaults and the
snapshot taken at ``makeCall``/``renegotiate``
(:meth:`~appliance.pexrtc.media.MediaPreferences.of`) all read
:data:`VARIABLES`, and a test holds ``docs/pexrtc.md``'s table to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class InstanceVariable:
    """One row of the document's instance-variable table.

    ``preference`` names the :class:`~appliance.pexrtc.media.MediaPreferences`
    field it feeds (``None``: read by the client itself, not the media
    engine); ``convert`` turns what a ported script assigned (``"768"`` from
    a form) into what the engine takes.
    """

    name: str
    default: Any
    changeable_in_call: bool
    preference: str | None
    convert: Callable[[Any], Any] = _same


VARIABLES: Final = (
    InstanceVariable("audio_source", None, True, "audio_source"),
    InstanceVariable("video_source", None, True, "video_source"),
    InstanceVariable("autoGainControl", True, False, "auto_gain_control"),
    InstanceVariable("recv_audio", True, True, "recv_audio"),
    InstanceVariable("recv_video", True, True, "recv_video"),
    InstanceVariable("bandwidth_in", 1280, True, "bandwidth_in", int),
    InstanceVariable("bandwidth_out", 1280, True, "bandwidth_out", int),
    InstanceVariable("call_tag", None, False, None),
    InstanceVariable("default_stun", None, False, "default_stun"),
    InstanceVariable("echoCancellation", True, False, "echo_cancellation"),
    InstanceVariable("fecc_supported", False, False, None),
    InstanceVariable("h264_enabled", True, False, "h264_enabled"),
    InstanceVariable("noiseSuppression", True, False, "noise_suppression"),
    InstanceVariable("screenshare_fps", 5, False, "screenshare_fps", int),
    InstanceVariable("turn_server", None, False, "turn_server"),
    InstanceVariable("user_media_stream", None, False, "user_media_stream"),
    InstanceVariable("user_presentation_stream", None, False, "user_presentation_stream"),
    InstanceVariable("vp8_enabled", True, False, "vp8_enabled"),
    # aiortc has no VP9 encoder: kept for parity, never offered.
    InstanceVariable("vp9_enabled", True, False, "vp9_enabled"),
)

INSTANCE_VARIABLES: Final = tuple(variable.name for variable in VARIABLES)

# Instance variables a running call picks up at the next renegotiate(); the
# others are read once, at makeCall, so setting one mid-call is logged as
# having no effect on this call (the document's "Changeable in-call").
CHANGEABLE_IN_CALL: Final = frozenset(variable.name for variable in VARIABLES if variable.changeable_in_call)

_BY_PREFERENCE: Final[Mapping[str, InstanceVariable]] = {
    variable.preference: variable for variable in VARIABLES if variable.preference is not None
}


def preference_default(field: str) -> Any:
    """The document's default of the instance variable feeding preference ``field``."""
    return _BY_PREFERENCE[field].default


def preference_values(source: object) -> dict[str, Any]:
    """``{preference field: converted value}`` read from ``source``'s instance variables."""
    return {
        field: variable.convert(getattr(source, variable.name)) for field, variable in _BY_PREFERENCE.items()
    }
