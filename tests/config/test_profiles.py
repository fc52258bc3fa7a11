"""Hardware profiles: every shipped profile loads, and broken ones say exactly why."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from appliance.config.pins import normalise_pin
from appliance.config.profile import list_profiles, load_profile, parse_profile
from appliance.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.stem for p in (REPO / "hw_profiles").glob("*.toml"))


def test_profiles_the_required_boards_are_shipped() -> None:
    assert {"rpi4-usbcam", "rpi5-usbcam", "generic-x86", "ci-virtual"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_profiles_shipped_profile_loads(name: str) -> None:
    profile = load_profile(name)
    assert profile.name == name
    assert profile.decoders["h264"]
    assert profile.to_dict()["display"]["width"] > 0


def test_profiles_list_finds_the_source_tree() -> None:
    assert set(SHIPPED) <= set(list_profiles())


def test_profiles_rpi4_prefers_the_hardware_h264_decoder() -> None:
    assert load_profile("rpi4-usbcam").decoders["h264"][0] == "h264_v4l2m2m"


def test_profiles_rpi5_decodes_h264_in_software() -> None:
    assert "h264_v4l2m2m" not in load_profile("rpi5-usbcam").decoders["h264"]


def test_profiles_ci_virtual_uses_only_virtual_devices() -> None:
    profile = load_profile("ci-virtual")
    assert profile.video_capture.format == "lavfi"
    assert profile.audio_capture.format == "lavfi"
    assert profile.audio_playback.format == "null"
    assert profile.display.sdl_video_driver == "dummy"
    assert profile.gpio.pin_factory == "mock"
    assert profile.visca.driver == "fake"


def test_profiles_ci_virtual_has_a_virtual_ptz_view_and_fecc_buttons() -> None:
    profile = load_profile("ci-virtual")
    assert profile.video_capture.ptz_view == (640, 360)
    far_right = profile.gpio.buttons["far_right"]
    assert (far_right.action, far_right.fecc_axis, far_right.fecc_direction) == ("fecc", "pan", "right")
    assert "standby" in profile.gpio.leds


def test_profiles_udev_rules_match_by_serial_and_path() -> None:
    text = (REPO / "hw_profiles" / "ci-virtual.toml").read_text() + (
        '\n[[udev]]\nrole = "camera"\nsubsystem = "video4linux"\nserial = "ABC123"\n'
        'by_path = "platform-xhci-hcd.0-usb-0:1:1.0"\n'
    )
    profile = parse_profile("x", Path("x.toml"), tomllib.loads(text))
    assert (profile.udev[0].serial, profile.udev[0].by_path) == ("ABC123", "platform-xhci-hcd.0-usb-0:1:1.0")


def test_profiles_defaults_are_filled_in() -> None:
    button = load_profile("rpi4-usbcam").gpio.buttons["hand"]
    assert (button.pull_up, button.bounce_s, button.hold_s) == (True, 0.02, 1.5)


@pytest.mark.parametrize(("name", "pin"), [("GPIO17", "GPIO17"), ("bcm17", "GPIO17"), ("BOARD11", "GPIO17")])
def test_profiles_pin_names_are_normalised(name: str, pin: str) -> None:
    assert normalise_pin(name) == pin


def _broken(edit: str, old: str | None = None) -> dict:
    text = (REPO / "hw_profiles" / "ci-virtual.toml").read_text()
    if old is not None:
        assert old in text
        text = text.replace(old, edit, 1)
    else:
        text += edit
    return tomllib.loads(text)


BROKEN = {
    "unknown_key": (_broken("\n[display.extra]\n", None), "unknown key"),
    "unknown_profile_key": (
        _broken("[profile]\ncolour = 1\n", "[profile]\n"),
        "[profile] colour: unknown key",
    ),
    "pin_used_twice": (
        _broken('pin = "GPIO17"', 'pin = "GPIO27"'),
        "[gpio.buttons.hand] pin: GPIO17 is already used by button mute",
    ),
    "pin_used_twice_by_board_number": (
        _broken('pin = "BOARD11"', 'pin = "GPIO27"'),
        "[gpio.buttons.hand] pin: GPIO17 is already used by button mute",
    ),
    "missing_video_capture": (
        _broken(
            "",
            '[video_capture]\nformat = "lavfi"\ndevice = "testsrc2=size=1280x720:rate=15"\nptz_view = "640x360"\n',
        ),
        "[video_capture]: expected a table, found nothing (the table is required)",
    ),
    "missing_decoder_list": (
        _broken("", 'vp8 = ["vp8", "libvpx"]\n'),
        "[decoders] vp8: expected a non-empty list",
    ),
    "bad_hold_time": (
        _broken('hold_s = "long"', "hold_s = 1.0"),
        "[gpio.buttons.mute] hold_s: expected a number > 0.0 and <= 30.0, found 'long'",
    ),
    "bad_pin_name": (_broken('pin = "PIN17"', 'pin = "GPIO17"'), "expected a pin name like GPIO17"),
    "pin_outside_header": (_broken('pin = "GPIO40"', 'pin = "GPIO17"'), "outside the 40-pin header"),
    "unknown_led": (_broken('\n[gpio.leds.power]\npin = "GPIO4"\n'), "unknown LED 'power'"),
    "preset_without_number": (_broken("", "preset = 1\n"), "expected a camera preset number"),
    "serial_visca_without_port": (
        _broken('driver = "serial"', 'driver = "fake"'),
        "[visca] port: expected a",
    ),
    "bad_sdl_driver": (
        _broken('sdl_video_driver = "directfb"', 'sdl_video_driver = "dummy"'),
        "found 'directfb'",
    ),
    "ip_visca_without_host": (
        _broken('driver = "ip"', 'driver = "fake"'),
        "[visca] host: expected the camera's IP address or host name for driver 'ip', found nothing",
    ),
    "port_on_ip_visca": (
        _broken('driver = "ip"\nhost = "10.0.0.9"\nport = "/dev/ttyUSB0"', 'driver = "fake"'),
        "[visca] port: only driver 'serial' has a port",
    ),
    "ip_port_out_of_range": (
        _broken('driver = "ip"\nhost = "10.0.0.9"\nip_port = 70000', 'driver = "fake"'),
        "[visca] ip_port: expected a whole number from 1 to 65535, found 70000",
    ),
    "ptz_view_without_fake_camera": (
        _broken('driver = "ip"\nhost = "10.0.0.9"', 'driver = "fake"'),
        "[video_capture] ptz_view: only a profile with [visca] driver = 'fake'",
    ),
    "bad_ptz_view": (
        _broken('ptz_view = "wide"', 'ptz_view = "640x360"'),
        "[video_capture] ptz_view: expected a size like '640x360'",
    ),
    "fecc_button_without_axis": (
        _broken('action = "fecc"\ndirection = "left"', 'action = "fecc"\naxis = "pan"\ndirection = "left"'),
        "[gpio.buttons.far_left] axis: expected one of 'pan', 'tilt', 'zoom', found nothing",
    ),
    "fecc_button_wrong_direction": (
        _broken('axis = "pan"\ndirection = "up"', 'axis = "pan"\ndirection = "left"'),
        "[gpio.buttons.far_left] direction: expected one of 'left', 'right', found 'up'",
    ),
    "bad_udev_key": (
        _broken('\n[[udev]]\nrole = "camera"\nsubsystem = "video4linux"\nid_serial = "X"\n'),
        "[udev[0]] id_serial: unknown key",
    ),
    "bad_udev_vendor": (
        _broken('\n[[udev]]\nrole = "camera"\nsubsystem = "video4linux"\nid_vendor = "logi"\n'),
        "[udev[0]] id_vendor: expected 4 hex digits, found 'logi'",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_profiles_broken_profile_is_rejected_with_precise_message(case: str) -> None:
    data, expected = BROKEN[case]
    with pytest.raises(ConfigError) as info:
        parse_profile("broken", Path("broken.toml"), data)
    message = str(info.value)
    assert message.startswith("broken.toml"), message
    assert expected in message, message


def test_profiles_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown hardware profile 'rpi9' \(known: .*ci-virtual"):
        load_profile("rpi9")


def test_profiles_semantic_error_key_names_the_table_too() -> None:
    with pytest.raises(ConfigError) as info:
        parse_profile("broken", Path("broken.toml"), _broken('pin = "GPIO17"', 'pin = "GPIO27"'))
    assert info.value.key == "gpio.buttons.hand.pin"
