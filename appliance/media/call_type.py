"""PexRTC's ``call_type``: the one enumeration the facade, the media engine and the site file share.

Values from the founding document (makeCall / addCall, vendored as
``tests/data/pexrtc-api-v33.txt``); docs/media.md's call-flow table says
what each does on the three m-lines. Kept free of aiortc and PyAV imports
so the configuration loader can validate a site file against it cheaply.
"""

from __future__ import annotations

import enum


class CallType(enum.StrEnum):
    VIDEO = "video"
    AUDIOONLY = "audioonly"
    RECVONLY = "recvonly"
    RECVONLYVIDEO = "recvonlyvideo"
    PRESENTATION = "presentation"  # receive presentation only
    SCREEN = "screen"  # send presentation only
    NONE = "none"  # roster-only: no media at all
    RTMP = "rtmp"
    STREAM = "stream"

    @classmethod
    def parse(cls, value: str | None) -> CallType:
        """The document's ``call_type`` argument: ``None`` or ``""`` means video."""
        if value is None or value == "":
            return cls.VIDEO
        try:
            return cls(value)
        except ValueError:
            names = ", ".join(repr(c.value) for c in cls)
            raise ValueError(f"call_type: expected one of {names} or None, found {value!r}") from None
