"""The lab node's audio: one mix clock, per-listener mixes, voice activity.

An MCU mixes once per 20 ms tick: every audible participant's next chunk is
summed, and each listener gets the sum *minus its own chunk*, so nobody hears
themselves and the cost stays one subtraction per listener however many
people talk. Voice activity is measured on the same chunks, before admin
mute is applied to the sum, so the conference learns who speaks from the
very samples it mixes.
"""

from __future__ import annotations

import asyncio
import fractions
import math
from collections import deque
from collections.abc import Callable
from typing import Final, Protocol

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from appliance.log import get_logger

SAMPLE_RATE: Final = 48000
FRAME_SAMPLES: Final = 960  # 20 ms
FRAME_SECONDS: Final = FRAME_SAMPLES / SAMPLE_RATE
_TIME_BASE: Final = fractions.Fraction(1, SAMPLE_RATE)

Chunk = npt.NDArray[np.int16]

log = get_logger(__name__)


class AudioSource(Protocol):
    """Something the mixer pulls one 20 ms mono chunk from per tick."""

    def pull(self) -> Chunk | None:
        """The next chunk, or ``None`` for silence (nothing buffered yet)."""


class AudioFifo:
    """Decoded remote audio waiting for the mix clock.

    Arrival is bursty (network, jitter buffer) while the mix clock is steady,
    so a little is buffered before playing (``prime`` chunks) and anything
    beyond ``limit`` chunks is dropped oldest-first to keep latency bounded.
    """

    def __init__(self, *, prime: int = 2, limit: int = 10) -> None:
        self._buf = bytearray()
        self._prime = prime * FRAME_SAMPLES * 2
        self._limit = limit * FRAME_SAMPLES * 2
        self._playing = False
        self._resampler: av.AudioResampler | None = None

    def push(self, frame: av.AudioFrame) -> None:
        layout = frame.layout.name
        if frame.format.name == "s16" and frame.sample_rate == SAMPLE_RATE and layout in ("mono", "stereo"):
            data = frame.to_ndarray().reshape(-1)
            if layout == "stereo":
                pairs = data.reshape(-1, 2).astype(np.int32)
                data = ((pairs[:, 0] + pairs[:, 1]) // 2).astype(np.int16)
            self._append(data.tobytes())
            return
        if self._resampler is None:
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        for out in self._resampler.resample(frame):
            self._append(out.to_ndarray().reshape(-1).tobytes())

    def _append(self, data: bytes) -> None:
        self._buf += data
        excess = len(self._buf) - self._limit
        if excess > 0:
            del self._buf[:excess]

    def pull(self) -> Chunk | None:
        need = FRAME_SAMPLES * 2
        if not self._playing:
            if len(self._buf) < self._prime:
                return None
            self._playing = True
        if len(self._buf) < need:
            self._playing = False
            return None
        chunk = np.frombuffer(bytes(self._buf[:need]), dtype=np.int16)
        del self._buf[:need]
        return chunk


def level_dbfs(chunk: Chunk) -> float:
    """RMS level of a chunk in dB relative to full scale (-inf for digital silence)."""
    if chunk.size == 0:
        return -math.inf
    rms = math.sqrt(float(np.mean(np.square(chunk.astype(np.float64)))))
    return -math.inf if rms == 0 else 20 * math.log10(rms / 32768.0)


class VoiceActivityDetector:
    """Energy VAD with attack and hangover, counted in 20 ms chunks.

    ``attack`` loud chunks in a row start speech (a click or a cough does
    not); ``hangover`` quiet chunks in a row end it, so the gaps between
    syllables do not make the stage flicker.
    """

    def __init__(self, *, threshold_dbfs: float = -42.0, attack: int = 3, hangover: int = 20) -> None:
        self.threshold_dbfs = threshold_dbfs
        self.attack = attack
        self.hangover = hangover
        self.speaking = False
        self._loud = 0
        self._quiet = 0

    def update(self, chunk: Chunk | None) -> bool | None:
        """Feed one chunk (``None`` = silence); returns the new state when it changed."""
        loud = chunk is not None and level_dbfs(chunk) >= self.threshold_dbfs
        if loud:
            self._loud += 1
            self._quiet = 0
        else:
            self._quiet += 1
            self._loud = 0
        if not self.speaking and self._loud >= self.attack:
            self.speaking = True
            return True
        if self.speaking and self._quiet >= self.hangover:
            self.speaking = False
            return False
        return None

    def reset(self) -> bool | None:
        """Force silence (admin mute, left the meeting); returns False if that is a change."""
        self._loud = 0
        self._quiet = 0
        if self.speaking:
            self.speaking = False
            return False
        return None


class AudioListener:
    """One outgoing mixed stream: the chunks the mix clock made for one listener."""

    def __init__(self, participant_uuid: str, *, limit: int = 10) -> None:
        self.participant_uuid = participant_uuid
        self._chunks: deque[Chunk] = deque(maxlen=limit)
        self._event = asyncio.Event()
        self._closed = False

    def push(self, chunk: Chunk) -> None:
        self._chunks.append(chunk)
        self._event.set()

    def take(self) -> Chunk | None:
        """The oldest waiting chunk without waiting (``None`` when there is none)."""
        return self._chunks.popleft() if self._chunks else None

    async def next_chunk(self) -> Chunk:
        while not self._chunks:
            if self._closed:
                raise MediaStreamError
            self._event.clear()
            await self._event.wait()
        return self._chunks.popleft()

    def close(self) -> None:
        self._closed = True
        self._event.set()


class MixedAudioTrack(MediaStreamTrack):
    """What aiortc's Opus encoder reads for one listener: 48 kHz mono s16, 20 ms frames."""

    kind = "audio"

    def __init__(self, listener: AudioListener) -> None:
        super().__init__()
        self.listener = listener
        self._pts = 0
        self.frames_sent = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        chunk = await self.listener.next_chunk()
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = _TIME_BASE
        self._pts += FRAME_SAMPLES
        self.frames_sent += 1
        return frame

    def stop(self) -> None:
        self.listener.close()
        super().stop()


class AudioMixer:
    """Runs the 20 ms mix clock over every source and feeds every listener."""

    def __init__(
        self,
        on_voice_activity: Callable[[str, bool], None],
        *,
        run_clock: bool = True,
        vad_factory: Callable[[], VoiceActivityDetector] = VoiceActivityDetector,
    ) -> None:
        """``run_clock=False`` leaves ticking to the caller (unit tests drive :meth:`tick`)."""
        self._on_voice_activity = on_voice_activity
        self._run_clock = run_clock
        self._vad_factory = vad_factory
        self._sources: dict[str, AudioSource] = {}
        self._vads: dict[str, VoiceActivityDetector] = {}
        self._audible: dict[str, bool] = {}
        self._hears: dict[str, bool] = {}
        self._listeners: list[AudioListener] = []
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0

    def add_source(self, participant_uuid: str, source: AudioSource) -> None:
        self._sources[participant_uuid] = source
        self._vads.setdefault(participant_uuid, self._vad_factory())
        self._ensure_running()

    def remove_source(self, participant_uuid: str) -> None:
        self._sources.pop(participant_uuid, None)
        vad = self._vads.pop(participant_uuid, None)
        if vad is not None and vad.reset() is False:
            self._on_voice_activity(participant_uuid, False)

    def set_audible(self, participant_uuid: str, audible: bool) -> None:
        """Whether this participant is mixed into others' audio (admin mute, waiting room)."""
        self._audible[participant_uuid] = audible

    def set_hears(self, participant_uuid: str, hears: bool) -> None:
        """Whether this participant's listeners get the mix or silence (waiting room)."""
        self._hears[participant_uuid] = hears

    def add_listener(self, participant_uuid: str) -> AudioListener:
        listener = AudioListener(participant_uuid)
        self._listeners.append(listener)
        self._ensure_running()
        return listener

    def remove_listener(self, listener: AudioListener) -> None:
        listener.close()
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _ensure_running(self) -> None:
        if not self._run_clock:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="labnode-audio-mix")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        failed = False
        while True:
            try:
                self.tick()
            except Exception:
                # A bad chunk from one source must not silence the meeting.
                if not failed:
                    log.exception("audio mix tick failed")
                failed = True
            next_tick += FRAME_SECONDS
            delay = next_tick - loop.time()
            if delay < -0.2:
                # Fell far behind (a stalled loop): skip ahead rather than burst.
                next_tick = loop.time()
                delay = 0.0
            await asyncio.sleep(max(0.0, delay))

    def tick(self) -> None:
        """Mix one 20 ms chunk for every listener; public so tests can drive it."""
        self.ticks += 1
        chunks: dict[str, npt.NDArray[np.int32]] = {}
        for uuid, source in list(self._sources.items()):
            chunk = source.pull()
            audible = self._audible.get(uuid, True)
            vad = self._vads[uuid]
            change = vad.update(chunk) if audible else vad.reset()
            if change is not None:
                self._on_voice_activity(uuid, change)
            if audible and chunk is not None and chunk.size == FRAME_SAMPLES:
                chunks[uuid] = chunk.astype(np.int32)
        total = sum(chunks.values(), np.zeros(FRAME_SAMPLES, dtype=np.int32))
        silence = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        for listener in self._listeners:
            uuid = listener.participant_uuid
            if not self._hears.get(uuid, True):
                listener.push(silence)
                continue
            own = chunks.get(uuid)
            mixed = total - own if own is not None else total
            listener.push(np.clip(mixed, -32768, 32767).astype(np.int16))

    async def close(self) -> None:
        for listener in self._listeners:
            listener.close()
        self._listeners.clear()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
