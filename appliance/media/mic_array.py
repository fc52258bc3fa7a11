"""A microphone array as the media layer sees it: geometry, set-up, directions.

The hardware profile declares the array (``[audio_array]``, see
docs/microphone-array.md); ``appliance.services.devices`` translates it into
an :class:`ArraySetup` carried by the capture :class:`DeviceSpec`, so the
engine opens an array exactly where it opens a microphone. Directions of
arrival leave the capture thread through the track's one bridge into the
loop and land in a :class:`DirectionFeed`, which the room controller turns
into ``SpeechDirection`` room events (docs/room-api.md).

Angles: degrees, 0 straight ahead into the room, positive to the right as
the camera looks; positions in metres, ``x`` right, ``y`` into the room.
A plane wave from azimuth θ travels along ``-u`` with ``u = (sin θ, cos θ)``
and reaches microphone ``m`` at ``-(p_m · u) / c`` relative to the centre.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from appliance.aio import newest_items

SPEED_OF_SOUND = 343.0  # m/s at ~20 °C
AEC_PER_CHANNEL = "per-channel"
AEC_AFTER_BEAMFORMER = "after-beamformer"
# Narrower than this, delay-and-sum has no directivity at speech frequencies and the
# direction estimate no resolution: the array uses its best channel instead.
MIN_APERTURE_M = 0.025


@dataclass(frozen=True, slots=True)
class ArrayGeometry:
    """Where the microphones are (metres, the camera's frame once turned by ``orientation_deg``)."""

    positions_m: tuple[tuple[float, float], ...]
    orientation_deg: float = 0.0

    @property
    def count(self) -> int:
        return len(self.positions_m)

    def points(self) -> npt.NDArray[np.float64]:
        """(M, 2) positions in the camera's frame (the array's own frame turned by orientation)."""
        raw = np.asarray(self.positions_m, dtype=np.float64).reshape(-1, 2)
        turn = math.radians(self.orientation_deg)
        # turning the array clockwise (positive, to the right) as seen from above
        rot = np.array([[math.cos(turn), math.sin(turn)], [-math.sin(turn), math.cos(turn)]])
        out: npt.NDArray[np.float64] = raw @ rot.T
        return out

    @property
    def aperture_m(self) -> float:
        pts = self.points()
        if len(pts) < 2:
            return 0.0
        return float(np.max(np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=-1)))

    @property
    def steerable(self) -> bool:
        return self.count >= 2 and self.aperture_m >= MIN_APERTURE_M

    @property
    def linear(self) -> bool:
        """All microphones on one line: front and back cannot be told apart (±90° only)."""
        pts = self.points()
        if len(pts) < 3:
            return True
        centred = pts - pts.mean(axis=0)
        singular = np.linalg.svd(centred, compute_uv=False)
        return bool(singular[1] < 1e-3 * max(singular[0], 1e-12))

    def arrival_s(self, azimuth_deg: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """(…, M) arrival times relative to the centre for plane waves from ``azimuth_deg``."""
        theta = np.radians(np.asarray(azimuth_deg, dtype=np.float64))
        u = np.stack([np.sin(theta), np.cos(theta)], axis=-1)
        out: npt.NDArray[np.float64] = -(u @ self.points().T) / SPEED_OF_SOUND
        return out


@dataclass(frozen=True, slots=True)
class DirectionEstimate:
    """Where voiced speech came from over the last estimation interval."""

    azimuth_deg: float
    confidence: float  # 0..1: PHAT coherence at the peak (1 = one dry source)
    at_sample: int = 0  # capture sample count at the end of the interval


class DirectionFeed:
    """Directions of arrival, published on the event loop, for whoever listens.

    The capture thread never calls :meth:`publish` itself: the array track
    hands each estimate over with ``call_soon_threadsafe`` (its one bridge).
    Subscribers get their own bounded queue; a slow one loses its oldest.
    """

    def __init__(self) -> None:
        self.latest: DirectionEstimate | None = None
        self.published = 0
        self._listeners: list[Callable[[DirectionEstimate], None]] = []

    def publish(self, estimate: DirectionEstimate) -> None:
        self.latest = estimate
        self.published += 1
        for listener in list(self._listeners):
            listener(estimate)

    def _listen(self, listener: Callable[[DirectionEstimate], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def subscribe(self, maxsize: int = 64) -> AsyncIterator[DirectionEstimate]:
        return newest_items(self._listen, maxsize)


@dataclass(frozen=True, slots=True)
class ArraySetup:
    """What the engine needs to open an array instead of a mono microphone."""

    geometry: ArrayGeometry
    channels: int  # channels the device delivers
    mic_channels: tuple[int, ...]  # device channel of each microphone (same order as geometry)
    aec: str = AEC_PER_CHANNEL
    doa_rate_hz: float = 5.0
    # not part of the device's identity: the engine compares specs to decide re-opening
    directions: DirectionFeed | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if len(self.mic_channels) != self.geometry.count:
            raise ValueError(
                f"{self.geometry.count} microphone positions but {len(self.mic_channels)} channels mapped"
            )
        if any(not 0 <= c < self.channels for c in self.mic_channels):
            raise ValueError(f"mic_channels {self.mic_channels} outside 0..{self.channels - 1}")
        if self.aec not in (AEC_PER_CHANNEL, AEC_AFTER_BEAMFORMER):
            raise ValueError(f"aec must be {AEC_PER_CHANNEL!r} or {AEC_AFTER_BEAMFORMER!r}, not {self.aec!r}")
