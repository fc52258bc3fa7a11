"""Hardware profiles declare a microphone array and seat zones; mistakes name the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from appliance.config.profile import load_profile, parse_profile
from appliance.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def _ci_virtual(old: str | None = None, new: str = "") -> dict:
    text = (REPO / "hw_profiles" / "ci-virtual.toml").read_text()
    if old is not None:
        assert old in text, old
        text = text.replace(old, new, 1)
    return tomllib.loads(text)


def _parse(data: dict):
    return parse_profile("broken", Path("broken.toml"), data)


def test_profile_array_ci_virtual_declares_four_mics_on_channels_one_to_four() -> None:
    array = load_profile("ci-virtual").audio_array
    assert array is not None
    assert (array.format, array.channels, array.mic_channels) == ("virtual", 6, (1, 2, 3, 4))
    assert array.positions_mm[1] == (32.0, 0.0)
    assert array.aperture_mm == pytest.approx(64.0)
    assert array.steerable


def test_profile_array_zones_are_sorted_and_keep_their_presets() -> None:
    tracking = load_profile("ci-virtual").tracking
    assert tracking is not None
    assert [(z.name, z.preset) for z in tracking.zones] == [("left", 1), ("centre", 2), ("right", 3)]
    assert tracking.wide_preset == 0


def test_profile_array_mono_profile_has_no_array() -> None:
    profile = load_profile("rpi4-usbcam")
    assert profile.audio_array is None and profile.tracking is None


def test_profile_array_mic_channels_default_to_the_first_channels() -> None:
    data = _ci_virtual("mic_channels = [1, 2, 3, 4]\n", "")
    array = _parse(data).audio_array
    assert array is not None and array.mic_channels == (0, 1, 2, 3)


BROKEN = {
    "channel_outside_device": (
        ("mic_channels = [1, 2, 3, 4]", "mic_channels = [1, 2, 3, 6]"),
        "[audio_array] mic_channels: expected a list of 4 distinct channel numbers from 0 to 5",
    ),
    "channel_used_twice": (
        ("mic_channels = [1, 2, 3, 4]", "mic_channels = [1, 2, 2, 4]"),
        "[audio_array] mic_channels: expected a list of 4 distinct",
    ),
    "position_not_a_pair": (
        ("[32.0, 0.0]", "[32.0]"),
        "[audio_array] positions_mm: expected a non-empty list of [x, y] pairs in millimetres (item 1)",
    ),
    "positions_missing": (
        ("positions_mm = [[0.0, 32.0], [32.0, 0.0], [0.0, -32.0], [-32.0, 0.0]]\n", ""),
        "[audio_array] positions_mm: expected a non-empty list of [x, y] pairs in millimetres, found nothing",
    ),
    "two_mics_in_one_place": (
        ("[0.0, -32.0]", "[0.0, 32.0]"),
        "[audio_array] positions_mm: microphones 0 and 2 are at the same place",
    ),
    "more_mics_than_channels": (
        ("channels = 6\nmic_channels = [1, 2, 3, 4]\n", "channels = 2\n"),
        "[audio_array] positions_mm: expected at most 2 microphones (channels = 2), found 4",
    ),
    "unknown_format": (('format = "virtual"', 'format = "oss"'), "[audio_array] format: expected one of"),
    "unknown_aec_placement": (
        ('device = "meeting"', 'device = "meeting"\naec = "both"'),
        "[audio_array] aec: expected one of 'per-channel', 'after-beamformer', found 'both'",
    ),
    "unknown_array_key": (
        ('device = "meeting"', 'device = "meeting"\ngain = 3'),
        "[audio_array] gain: unknown key",
    ),
    "zones_overlap": (
        ("from_deg = -25\nto_deg = 25", "from_deg = -30\nto_deg = 25"),
        "[tracking] zones: zones 'left' (-75..-25) and 'centre' (-30..25) overlap",
    ),
    "zone_ends_before_it_starts": (
        ("from_deg = 25\nto_deg = 75", "from_deg = 25\nto_deg = 10"),
        "[tracking.zones[2]] to_deg: expected a number > from_deg (25), found 10",
    ),
    "zone_without_preset": (
        ("to_deg = 75\npreset = 3\n", "to_deg = 75\n"),
        "[tracking.zones[2]] preset: expected a whole number from 0 to 127, found nothing",
    ),
    "zone_name_twice": (('name = "right"', 'name = "left"'), "[tracking] zones: two zones are named 'left'"),
    "dwell_not_a_number": (
        ("dwell_s = 1.5", 'dwell_s = "long"'),
        "[tracking] dwell_s: expected a number > 0.0",
    ),
    "array_too_small_to_track": (
        (
            "positions_mm = [[0.0, 32.0], [32.0, 0.0], [0.0, -32.0], [-32.0, 0.0]]",
            "positions_mm = [[0.0, 5.0], [5.0, 0.0], [0.0, -5.0], [-5.0, 0.0]]",
        ),
        "[tracking]: speaker tracking needs an array at least 25 mm across; [audio_array] positions_mm spans 10.0 mm",
    ),
    "tracking_without_ptz": (
        ('driver = "fake"', 'driver = "none"'),
        "tracking: speaker tracking recalls PTZ presets: [visca] driver must not be 'none'",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_profile_array_broken_declaration_is_rejected_naming_the_key(case: str) -> None:
    (old, new), expected = BROKEN[case]
    with pytest.raises(ConfigError) as info:
        _parse(_ci_virtual(old, new))
    message = str(info.value)
    assert message.startswith("broken.toml"), message
    assert expected in message, message


def test_profile_array_tracking_without_array_is_rejected() -> None:
    data = _ci_virtual()
    del data["audio_array"]
    with pytest.raises(ConfigError, match=r"\[tracking\]: speaker tracking needs an \[audio_array\]"):
        _parse(data)
