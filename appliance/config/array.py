"""The microphone array and its seat zones, as a hardware profile declares them.

A profile with an ``[audio_array]`` table captures N channels from one
device (ALSA, PipeWire through its Pulse server, or the virtual array CI
uses) and knows where each microphone sits, in millimetres, so the media
layer can estimate where speech comes from and steer a beamformer at it
(docs/microphone-array.md). ``[tracking]`` maps angle ranges ("seat
zones") to PTZ presets for speaker tracking. A profile without
``[audio_array]`` keeps the mono ``[audio_capture]`` path unchanged.

Angles are degrees in the camera's frame: 0 is straight ahead into the
room, positive to the right as the camera looks. Microphone positions use
the same frame: ``x`` to the right, ``y`` into the room; ``orientation_deg``
turns an array that is not mounted square to the camera.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from appliance.config.reader import Table

ARRAY_FORMATS = ("alsa", "pulse", "virtual")
AEC_PLACEMENTS = ("per-channel", "after-beamformer")
# Below this spacing delay-and-sum has no useful directivity and the DOA no
# resolution at speech frequencies (a 20 mm pair spans 2.8 samples at 48 kHz):
# the array then falls back to its best channel and cannot track speakers.
MIN_APERTURE_MM = 25.0


@dataclass(frozen=True, slots=True)
class ArraySpec:
    """An N-channel capture device and the geometry of its microphones."""

    format: str
    device: str
    channels: int  # channels the device delivers (some boards add loopback channels)
    positions_mm: tuple[tuple[float, float], ...]  # one (x, y) per microphone
    mic_channels: tuple[int, ...]  # device channel of each microphone, same order
    orientation_deg: float = 0.0
    aec: str = "per-channel"
    doa_rate_hz: float = 5.0
    options: dict[str, str] = field(default_factory=dict)

    @property
    def aperture_mm(self) -> float:
        """The largest distance between two microphones."""
        return max(
            (math.dist(a, b) for i, a in enumerate(self.positions_mm) for b in self.positions_mm[i + 1 :]),
            default=0.0,
        )

    @property
    def steerable(self) -> bool:
        """Wide enough to steer a beam and estimate a direction (else: best channel)."""
        return len(self.positions_mm) >= 2 and self.aperture_mm >= MIN_APERTURE_MM


@dataclass(frozen=True, slots=True)
class SeatZone:
    """Speech from ``from_deg`` up to ``to_deg`` recalls ``preset``."""

    name: str
    from_deg: float
    to_deg: float
    preset: int

    def contains(self, azimuth_deg: float, margin_deg: float = 0.0) -> bool:
        return self.from_deg - margin_deg <= azimuth_deg < self.to_deg + margin_deg


@dataclass(frozen=True, slots=True)
class TrackingSpec:
    """Speaker tracking: seat zones and the timing that keeps the camera calm."""

    zones: tuple[SeatZone, ...]
    wide_preset: int | None = None  # recalled when several zones are active; None: never
    dwell_s: float = 1.5  # a zone must hold the speech this long before the camera moves
    hysteresis_deg: float = 8.0  # the current zone reaches this far past its edges
    hysteresis_s: float = 4.0  # no two camera moves closer together than this
    hold_off_s: float = 10.0  # quiet time after FECC or a preset a person recalled
    min_confidence: float = 0.3  # direction estimates below this are ignored
    window_s: float = 8.0  # how far back "several zones active" looks
    gap_s: float = 0.8  # a pause shorter than this does not end a talker's turn


def parse_array(top: Table) -> ArraySpec | None:
    """``[audio_array]``, or ``None`` where the profile has none (mono capture)."""
    table = top.table("audio_array", required=False)
    if table is None:
        return None
    fmt = table.text("format", choices=ARRAY_FORMATS)
    device = table.text("device", non_empty=True)
    channels = table.integer("channels", min=1, max=32)
    raw_positions = table.raw("positions_mm", None)
    positions = _positions(table, raw_positions)
    mic_channels = _mic_channels(table, len(positions), channels)
    orientation = table.number("orientation_deg", 0.0, min=-180.0, max=180.0)
    aec = table.text("aec", "per-channel", choices=AEC_PLACEMENTS)
    doa_rate = table.number("doa_rate_hz", 5.0, min=0.0, exclusive_min=True, max=20.0)
    options_table = table.table("options", required=False)
    options: dict[str, str] = {}
    if options_table is not None:
        for option in list(options_table.keys()):
            options[option] = options_table.text(option)
        options_table.finish()
    table.finish()
    return ArraySpec(
        format=fmt,
        device=device,
        channels=channels,
        positions_mm=positions,
        mic_channels=mic_channels,
        orientation_deg=orientation,
        aec=aec,
        doa_rate_hz=doa_rate,
        options=options,
    )


def _positions(table: Table, raw: object) -> tuple[tuple[float, float], ...]:
    expected = "a non-empty list of [x, y] pairs in millimetres"
    if raw is None:
        raise table.invalid("positions_mm", expected, "nothing (the key is required)")
    if not isinstance(raw, list) or not raw:
        raise table.invalid("positions_mm", expected, "an empty list" if raw == [] else repr(raw))
    positions: list[tuple[float, float]] = []
    for index, pair in enumerate(raw):
        numbers = isinstance(pair, list) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in pair
        )
        if not numbers or len(pair) != 2:
            raise table.invalid("positions_mm", f"{expected} (item {index})", repr(pair))
        if any(abs(v) > 1000 for v in pair):
            raise table.invalid("positions_mm", f"coordinates within ±1000 mm (item {index})", repr(pair))
        positions.append((float(pair[0]), float(pair[1])))
    for i, a in enumerate(positions):
        for j in range(i + 1, len(positions)):
            if math.dist(a, positions[j]) < 1.0:
                raise table.error("positions_mm", f"microphones {i} and {j} are at the same place {list(a)}")
    return tuple(positions)


def _mic_channels(table: Table, mics: int, channels: int) -> tuple[int, ...]:
    if not table.has("mic_channels"):
        if mics > channels:
            raise table.invalid(
                "positions_mm", f"at most {channels} microphones (channels = {channels})", f"{mics}"
            )
        return tuple(range(mics))
    raw = table.raw("mic_channels")
    expected = f"a list of {mics} distinct channel numbers from 0 to {channels - 1}, one per microphone"
    if (
        not isinstance(raw, list)
        or len(raw) != mics
        or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < channels for c in raw)
        or len(set(raw)) != len(raw)
    ):
        raise table.invalid("mic_channels", expected, repr(raw))
    return tuple(raw)


def parse_tracking(top: Table, array: ArraySpec | None) -> TrackingSpec | None:
    """``[tracking]`` with its ``[[tracking.zones]]``; needs a steerable array."""
    table = top.table("tracking", required=False)
    if table is None:
        return None
    if array is None:
        raise table.error(None, "speaker tracking needs an [audio_array] to hear directions from")
    if not array.steerable:
        raise table.error(
            None,
            f"speaker tracking needs an array at least {MIN_APERTURE_MM:g} mm across; "
            f"[audio_array] positions_mm spans {array.aperture_mm:.1f} mm",
        )
    wide = table.integer("wide_preset", None, min=0, max=127)
    spec = TrackingSpec(
        zones=(),
        wide_preset=wide,
        dwell_s=table.number("dwell_s", 1.5, min=0.0, exclusive_min=True, max=30.0),
        hysteresis_deg=table.number("hysteresis_deg", 8.0, min=0.0, max=45.0),
        hysteresis_s=table.number("hysteresis_s", 4.0, min=0.0, max=120.0),
        hold_off_s=table.number("hold_off_s", 10.0, min=0.0, max=600.0),
        min_confidence=table.number("min_confidence", 0.3, min=0.0, max=1.0),
        window_s=table.number("window_s", 8.0, min=0.0, exclusive_min=True, max=120.0),
        gap_s=table.number("gap_s", 0.8, min=0.0, exclusive_min=True, max=10.0),
    )
    zones = tuple(_zone(zone) for zone in table.table_list("zones"))
    table.finish()
    if not zones:
        raise table.invalid("zones", "at least one [[tracking.zones]] table", "none")
    names: set[str] = set()
    ordered = sorted(zones, key=lambda z: z.from_deg)
    for zone in zones:
        if zone.name in names:
            raise table.error("zones", f"two zones are named {zone.name!r}")
        names.add(zone.name)
    for left, right in itertools.pairwise(ordered):
        if right.from_deg < left.to_deg:
            raise table.error(
                "zones",
                f"zones {left.name!r} ({left.from_deg:g}..{left.to_deg:g}) and "
                f"{right.name!r} ({right.from_deg:g}..{right.to_deg:g}) overlap",
            )
    if spec.window_s < spec.dwell_s:
        raise table.invalid("window_s", f"a number >= dwell_s ({spec.dwell_s:g})", f"{spec.window_s:g}")
    return TrackingSpec(
        zones=tuple(ordered),
        wide_preset=spec.wide_preset,
        dwell_s=spec.dwell_s,
        hysteresis_deg=spec.hysteresis_deg,
        hysteresis_s=spec.hysteresis_s,
        hold_off_s=spec.hold_off_s,
        min_confidence=spec.min_confidence,
        window_s=spec.window_s,
        gap_s=spec.gap_s,
    )


def _zone(table: Table) -> SeatZone:
    zone = SeatZone(
        name=table.text("name", non_empty=True),
        from_deg=table.number("from_deg", min=-180.0, max=180.0),
        to_deg=table.number("to_deg", min=-180.0, max=180.0),
        preset=table.integer("preset", min=0, max=127),
    )
    table.finish()
    if zone.to_deg <= zone.from_deg:
        raise table.invalid("to_deg", f"a number > from_deg ({zone.from_deg:g})", f"{zone.to_deg:g}")
    return zone


def read_speaker_tracking(top: Table) -> bool:
    """A site file's ``[camera] speaker_tracking``: whether the room starts with tracking on."""
    table = top.table("camera", required=False)
    if table is None:
        return False
    on: bool = table.flag("speaker_tracking", False)
    table.finish()
    return on
