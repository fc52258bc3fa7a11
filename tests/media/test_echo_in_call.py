"""Echo cancellation inside a real call: what the far end hears of its own voice, AEC off and on.

The room is a loop through a named pipe: the call plays what it receives to
an ``AudioOutput`` writing raw s16 into the pipe (the loudspeaker), and the
call's microphone is a capture device reading that pipe (PyAV, ``s16le``),
so the far end's speech-like signal comes back at full level, delayed by
the output queue and the pipe. The far end (a plain aiortc peer) measures
the energy of what it receives from us; with ``echoCancellation`` on, the
engine's echo canceller (fed the same received audio as its reference)
must remove most of it.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import av
import numpy as np
import pytest

from appliance.aio import in_own_thread
from appliance.media.engine import MediaCall
from appliance.media.plan import MediaSettings
from appliance.media.processing import ProcessingSettings
from appliance.media.sinks import AudioOutput
from appliance.media.sources import DeviceSpec
from tests.support.media import FakeFarEnd, SpeechTrack
from tests.support.waiting import eventually

pytestmark = pytest.mark.media

SETTLED_FRAMES = 400  # 8 s of 20 ms frames received by the far end
MEASURED_FRAMES = 150  # the last 3 s of them
SETUP_DEADLINE_S = 20.0


async def echo_level(tmp_path: Path, echo_cancellation: bool) -> float:
    """Median level (RMS, full scale 32768) of our audio at the far end once the canceller settled."""
    room = tmp_path / f"room-{echo_cancellation}"
    os.mkfifo(room)
    far_end = FakeFarEnd()
    far_end.tone = SpeechTrack()
    microphone = DeviceSpec(
        "audio", "s16le", str(room), {"sample_rate": "48000", "ch_layout": "mono", "probesize": "32"}
    )
    call = MediaCall(
        far_end,
        MediaSettings(
            audio_source=microphone,
            video_source=None,
            processing=ProcessingSettings(echo_cancellation, False, False),
        ),
    )

    async def loudspeaker() -> AudioOutput:
        # opening a pipe for writing waits for its reader, the call's microphone, which
        # opens on a thread of its own at the same time; neither may queue behind the
        # other in the default executor (where aiortc encodes), so this one has its own too
        output = await in_own_thread(
            lambda: AudioOutput(str(room), "s16le", layout="mono", open_timeout=SETUP_DEADLINE_S),
            deadline_s=SETUP_DEADLINE_S,
            name="test-loudspeaker",
            abandon=lambda late: late.close(),
        )
        silence = av.AudioFrame.from_ndarray(np.zeros((1, 960), np.int16), format="s16", layout="mono")
        silence.sample_rate = 48000
        output.write(silence)  # lets the capture's probe finish before the call has audio
        call.audio.output = output
        return output

    async with asyncio.timeout(SETUP_DEADLINE_S):  # a failure names the step, never a hang
        output, _ = await asyncio.gather(loudspeaker(), call.start())
    try:
        await eventually(
            lambda: "0" in far_end.received and far_end.received["0"].frames > SETTLED_FRAMES, within=60
        )
        levels = [level for _, level in far_end.received["0"].history[-MEASURED_FRAMES:]]
        return float(np.median(levels))
    finally:
        output.close()  # the microphone reads end of file and its thread ends
        await call.close()
        await far_end.close()


async def test_echo_cancellation_removes_the_far_ends_voice_from_what_it_hears_back(tmp_path: Path) -> None:
    without = await echo_level(tmp_path, echo_cancellation=False)
    with_aec = await echo_level(tmp_path, echo_cancellation=True)
    assert without > 300  # the loop really carries the far end's voice back
    assert with_aec < without / 2  # at least 6 dB less echo (measured ~12 dB on loopback)
