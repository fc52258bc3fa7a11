"""Hardware profiles: one declarative TOML file per supported board and peripheral set.

A profile says what the box has — display, camera, microphone, speaker,
decoders, GPIO buttons and LEDs, PTZ camera, udev rules — and the drivers
above read only this. Adding a board means adding a file to
``hw_profiles/``, not code (Klipper's ``config/`` directory is the model).
Profiles are read strictly: an unknown key, a GPIO pin used twice or a
missing required device stops loading with a message naming the file and
key.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.config.array import ArraySpec, TrackingSpec, parse_array, parse_tracking
from appliance.config.pins import normalise_pin
from appliance.config.reader import Table, load_toml
from appliance.errors import ConfigError

SDL_VIDEO_DRIVERS = ("kmsdrm", "x11", "wayland", "dummy", "offscreen")
CAPTURE_FORMATS = ("v4l2", "lavfi", "alsa", "pulse", "file")
PLAYBACK_FORMATS = ("alsa", "pulse", "null", "file")
PIN_FACTORIES = ("lgpio", "rpigpio", "pigpio", "native", "mock")
VISCA_DRIVERS = ("serial", "ip", "fake", "none")
FAKE_TRANSPORTS = ("serial", "ip")
CEC_DRIVERS = ("cec-ctl", "fake", "none")
BUTTON_ACTIONS = ("mute", "camera_privacy", "hand", "hangup", "preset", "fecc", "speaker_tracking")
FECC_DIRECTIONS = {"pan": ("left", "right"), "tilt": ("up", "down"), "zoom": ("in", "out")}
UDEV_ROLES = ("camera", "microphone", "speaker", "ptz", "screenshare")
UDEV_SUBSYSTEMS = ("video4linux", "sound", "tty", "usb")
LED_ROLES = ("in_call", "muted", "hand", "error", "standby")


@dataclass(frozen=True, slots=True)
class DisplaySpec:
    width: int = 1920
    height: int = 1080
    sdl_video_driver: str = "kmsdrm"
    fullscreen: bool = True
    refresh_hz: int = 60


@dataclass(frozen=True, slots=True)
class CaptureSpec:
    """A PyAV input: ``av.open(device, format=format, options=options)``."""

    format: str
    device: str
    options: dict[str, str] = field(default_factory=dict)
    # video only: send a (width, height) view cropped from this picture and moved by the
    # fake PTZ camera's pan/tilt/zoom (the virtual camera; docs/hardware.md)
    ptz_view: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class PlaybackSpec:
    format: str
    device: str = ""


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    pin: str
    action: str
    pull_up: bool = True
    bounce_s: float = 0.02
    hold_s: float = 1.5
    preset: int | None = None  # camera preset number, for action "preset"
    # action "fecc" only (None otherwise): pan / tilt / zoom; left/right, up/down, in/out; and the
    # participant (display name or uuid) to control, "" for the far end of a gateway call
    fecc_axis: str | None = None
    fecc_direction: str | None = None
    fecc_target: str | None = None


@dataclass(frozen=True, slots=True)
class LedSpec:
    pin: str
    active_high: bool = True


@dataclass(frozen=True, slots=True)
class GpioSpec:
    pin_factory: str = "mock"
    buttons: dict[str, ButtonSpec] = field(default_factory=dict)
    leds: dict[str, LedSpec] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ViscaSpec:
    driver: str = "none"
    port: str = ""
    baudrate: int = 9600
    host: str = ""  # driver "ip": the camera's address
    ip_port: int = 52381  # driver "ip": VISCA over IP's UDP port
    fake_transport: str = "serial"  # driver "fake": the fake camera's pty ("serial") or UDP socket ("ip")
    address: int = 1
    pan_speed: int = 12  # 1-24
    tilt_speed: int = 10  # 1-20
    zoom_speed: int = 4  # 0-7
    timeout_s: float = 1.0


@dataclass(frozen=True, slots=True)
class CecSpec:
    """HDMI-CEC display power (appliance/hw/cec.py); ``driver = "none"`` switches it off."""

    driver: str = "none"
    device: str = "/dev/cec0"
    osd_name: str = "Appliance"
    timeout_s: float = 3.0


@dataclass(frozen=True, slots=True)
class UdevRule:
    """Which hot-plugged device fills which role (``camera``, ``microphone``, ``speaker``, ``ptz``)."""

    role: str
    subsystem: str
    id_vendor: str = ""
    id_model: str = ""
    serial: str = ""  # ID_SERIAL_SHORT, to tell two identical cameras apart
    by_path: str = ""  # ID_PATH, e.g. "platform-fd500000.pcie-pci-0000:01:00.0-usb-0:1.3:1.0"
    name_contains: str = ""


@dataclass(frozen=True, slots=True)
class HwProfile:
    name: str
    file: Path
    description: str
    board: str
    display: DisplaySpec
    video_capture: CaptureSpec
    audio_capture: CaptureSpec
    audio_playback: PlaybackSpec
    decoders: dict[str, tuple[str, ...]]
    encoders: dict[str, tuple[str, ...]]
    screenshare_capture: CaptureSpec | None = None
    gpio: GpioSpec = field(default_factory=GpioSpec)
    visca: ViscaSpec = field(default_factory=ViscaSpec)
    udev: tuple[UdevRule, ...] = ()
    cec: CecSpec = field(default_factory=CecSpec)
    # a microphone array replaces [audio_capture] for the call (docs/microphone-array.md)
    audio_array: ArraySpec | None = None
    tracking: TrackingSpec | None = None

    def to_dict(self) -> dict[str, Any]:
        """The profile resolved with its defaults, as plain TOML-ready data."""
        plain: dict[str, Any] = _plain(self)
        return plain


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {
            name: _plain(getattr(value, name))
            for name in value.__dataclass_fields__
            if getattr(value, name) is not None and name != "file"
        }
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


# -- discovery ------------------------------------------------------------------


def profile_dirs() -> list[Path]:
    """Where profiles are looked up, first match wins.

    ``APPLIANCE_PROFILES`` (a directory) → ``/etc/appliance/hw_profiles`` (site
    additions) → the source tree's ``hw_profiles/`` → the installed copy under
    ``<prefix>/share/appliance/hw_profiles``.
    """
    dirs = []
    if env := os.environ.get("APPLIANCE_PROFILES"):
        dirs.append(Path(env))
    dirs.append(Path("/etc/appliance/hw_profiles"))
    dirs.append(Path(__file__).resolve().parent.parent.parent / "hw_profiles")
    dirs.append(Path(sys.prefix) / "share" / "appliance" / "hw_profiles")
    return [d for d in dirs if d.is_dir()]


def list_profiles() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in profile_dirs():
        for path in sorted(directory.glob("*.toml")):
            found.setdefault(path.stem, path)
    return found


def is_profile_path(name_or_path: str) -> bool:
    """A reference with a ``.toml`` suffix or a ``/`` is a file; anything else is a name."""
    return name_or_path.endswith(".toml") or "/" in name_or_path


def profile_reference(name_or_path: str, base: Path) -> str:
    """A site file's ``profile``: a name as written, a relative path against ``base``.

    A site file and its own profile are copied around together, so a relative
    path means "beside the site file" (as ``secrets_file`` does), not the
    directory the command happened to be started from.
    """
    if is_profile_path(name_or_path) and not Path(name_or_path).is_absolute():
        return str(base / name_or_path)
    return name_or_path


def find_profile(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if is_profile_path(name_or_path):
        if not candidate.is_file():
            raise ConfigError(f"{candidate}: no such hardware profile file", file=str(candidate))
        return candidate
    profiles = list_profiles()
    if name_or_path not in profiles:
        known = ", ".join(profiles) or "none found"
        raise ConfigError(
            f"unknown hardware profile {name_or_path!r} (known: {known})",
            key="profile",
            expected="a profile name",
            found=repr(name_or_path),
        )
    return profiles[name_or_path]


def load_profile(name_or_path: str | Path) -> HwProfile:
    path = find_profile(str(name_or_path))
    return parse_profile(path.stem, path, load_toml(path))


# -- parsing --------------------------------------------------------------------


def parse_profile(name: str, path: Path, data: dict[str, Any]) -> HwProfile:
    top = Table(str(path), "", data)
    profile_table = top.table("profile")
    assert profile_table is not None
    description = profile_table.text("description", non_empty=True)
    board = profile_table.text("board", non_empty=True)
    profile_table.finish()

    display = _display(top)
    video_capture = _capture(top, "video_capture", required=True)
    audio_capture = _capture(top, "audio_capture", required=True)
    screenshare = _capture(top, "screenshare_capture", required=False)
    playback = _playback(top)
    decoders = _codec_lists(top, "decoders", required=("h264", "vp8"))
    encoders = _codec_lists(top, "encoders", required=("h264", "vp8"))
    gpio = _gpio(top)
    visca = _visca(top)
    udev = tuple(_udev_rule(t) for t in top.table_list("udev"))
    cec = _cec(top)
    audio_array = parse_array(top)
    tracking = parse_tracking(top, audio_array)
    top.finish()
    if tracking is not None and visca.driver == "none":
        raise top.error("tracking", "speaker tracking recalls PTZ presets: [visca] driver must not be 'none'")
    assert video_capture is not None and audio_capture is not None
    if video_capture.ptz_view is not None and visca.driver != "fake":
        raise ConfigError(
            f"{path}: [video_capture] ptz_view: only a profile with [visca] driver = 'fake' has a"
            f" virtual PTZ view (driver is {visca.driver!r})",
            file=str(path),
            key="video_capture.ptz_view",
        )
    return HwProfile(
        name=name,
        file=path,
        description=description,
        board=board,
        display=display,
        video_capture=video_capture,
        audio_capture=audio_capture,
        audio_playback=playback,
        decoders=decoders,
        encoders=encoders,
        screenshare_capture=screenshare,
        gpio=gpio,
        visca=visca,
        udev=udev,
        cec=cec,
        audio_array=audio_array,
        tracking=tracking,
    )


def _display(top: Table) -> DisplaySpec:
    table = top.table("display")
    assert table is not None
    spec = DisplaySpec(
        width=table.integer("width", 1920, min=160, max=7680),
        height=table.integer("height", 1080, min=120, max=4320),
        sdl_video_driver=table.text("sdl_video_driver", "kmsdrm", choices=SDL_VIDEO_DRIVERS),
        fullscreen=table.flag("fullscreen", True),
        refresh_hz=table.integer("refresh_hz", 60, min=1, max=240),
    )
    table.finish()
    return spec


def _capture(top: Table, key: str, *, required: bool) -> CaptureSpec | None:
    table = top.table(key, required=required)
    if table is None:
        return None
    fmt = table.text("format", choices=CAPTURE_FORMATS)
    device = table.text("device", non_empty=True)
    options_table = table.table("options", required=False)
    options: dict[str, str] = {}
    if options_table is not None:
        for option in list(options_table.keys()):
            value = options_table.text(option)
            options[option] = value
        options_table.finish()
    ptz_view = None
    if key == "video_capture" and table.has("ptz_view"):
        raw = table.text("ptz_view")
        match = re.fullmatch(r"(\d+)x(\d+)", raw)
        if not match or not (16 <= int(match.group(1)) <= 3840 and 16 <= int(match.group(2)) <= 2160):
            raise table.invalid("ptz_view", "a size like '640x360' (16x16 to 3840x2160)", repr(raw))
        ptz_view = (int(match.group(1)), int(match.group(2)))
    table.finish()
    return CaptureSpec(format=fmt, device=device, options=options, ptz_view=ptz_view)


def _playback(top: Table) -> PlaybackSpec:
    table = top.table("audio_playback")
    assert table is not None
    fmt = table.text("format", choices=PLAYBACK_FORMATS)
    device = table.text("device", "", non_empty=fmt != "null")
    table.finish()
    return PlaybackSpec(format=fmt, device=device)


def _codec_lists(top: Table, key: str, *, required: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    table = top.table(key)
    assert table is not None
    lists: dict[str, tuple[str, ...]] = {}
    for codec in required:
        lists[codec] = table.texts(codec, non_empty=True)
    table.finish()
    return lists


def _gpio(top: Table) -> GpioSpec:
    table = top.table("gpio")
    assert table is not None
    pin_factory = table.text("pin_factory", choices=PIN_FACTORIES)
    used: dict[str, str] = {}

    def claim(owner: Table, raw: str, what: str) -> str:
        try:
            pin = normalise_pin(raw)
        except ValueError as exc:
            raise owner.error("pin", f"{exc}, found {raw!r}") from None
        if pin in used:
            raise owner.error("pin", f"{pin} is already used by {used[pin]}")
        used[pin] = what
        return pin

    buttons: dict[str, ButtonSpec] = {}
    for name, button in table.tables("buttons").items():
        action = button.text("action", name if name in BUTTON_ACTIONS else None, choices=BUTTON_ACTIONS)
        if action is None:
            raise button.error("action", f"expected one of {', '.join(BUTTON_ACTIONS)}, found nothing")
        preset = button.integer("preset", None, min=0, max=127)
        if action == "preset" and preset is None:
            raise button.error("preset", "expected a camera preset number for a preset button")
        axis = direction = target = None
        if action == "fecc":
            axis = button.text("axis", choices=tuple(FECC_DIRECTIONS))
            direction = button.text("direction", choices=FECC_DIRECTIONS[axis])
            target = button.text("target", "")
        bounce_s = button.number("bounce_s", 0.02, min=0.0, max=1.0)
        hold_s = button.number("hold_s", 1.5, min=0.0, exclusive_min=True, max=30.0)
        buttons[name] = ButtonSpec(
            pin=claim(button, button.text("pin"), f"button {name}"),
            action=action,
            pull_up=button.flag("pull_up", True),
            bounce_s=bounce_s,
            hold_s=hold_s,
            preset=preset,
            fecc_axis=axis,
            fecc_direction=direction,
            fecc_target=target,
        )
        button.finish()
    leds: dict[str, LedSpec] = {}
    for name, led in table.tables("leds").items():
        if name not in LED_ROLES:
            raise led.error(None, f"unknown LED {name!r} (known: {', '.join(LED_ROLES)})")
        leds[name] = LedSpec(
            pin=claim(led, led.text("pin"), f"LED {name}"),
            active_high=led.flag("active_high", True),
        )
        led.finish()
    table.finish()
    return GpioSpec(pin_factory=pin_factory, buttons=buttons, leds=leds)


def _visca(top: Table) -> ViscaSpec:
    table = top.table("visca", required=False)
    if table is None:
        return ViscaSpec()
    driver = table.text("driver", choices=VISCA_DRIVERS)
    spec = ViscaSpec(
        driver=driver,
        port=table.text("port", "", non_empty=driver == "serial"),
        baudrate=table.integer("baudrate", 9600, min=1200, max=115200),
        host=table.text("host", "", non_empty=driver == "ip"),
        ip_port=table.integer("ip_port", 52381, min=1, max=65535),
        fake_transport=table.text("fake_transport", "serial", choices=FAKE_TRANSPORTS),
        address=table.integer("address", 1, min=1, max=7),
        pan_speed=table.integer("pan_speed", 12, min=1, max=24),
        tilt_speed=table.integer("tilt_speed", 10, min=1, max=20),
        zoom_speed=table.integer("zoom_speed", 4, min=0, max=7),
        timeout_s=table.number("timeout_s", 1.0, min=0.0, exclusive_min=True, max=10.0),
    )
    table.finish()
    if driver == "serial" and not spec.port:
        raise table.error("port", "expected a serial device path for driver 'serial', found nothing")
    if driver == "ip" and not spec.host:
        raise table.error(
            "host", "expected the camera's IP address or host name for driver 'ip', found nothing"
        )
    if driver != "serial" and table.has("port"):
        raise table.error("port", f"only driver 'serial' has a port (driver is {driver!r})")
    if driver != "ip" and (table.has("host") or table.has("ip_port")):
        key = "host" if table.has("host") else "ip_port"
        raise table.error(key, f"only driver 'ip' has {key} (driver is {driver!r})")
    return spec


def _cec(top: Table) -> CecSpec:
    table = top.table("cec", required=False)
    if table is None:
        return CecSpec()
    spec = CecSpec(
        driver=table.text("driver", choices=CEC_DRIVERS),
        device=table.text("device", "/dev/cec0", non_empty=True),
        osd_name=table.text("osd_name", "Appliance", non_empty=True),
        timeout_s=table.number("timeout_s", 3.0, min=0, exclusive_min=True, max=30),
    )
    table.finish()
    if len(spec.osd_name) > 14:
        raise table.error(
            "osd_name", f"expected at most 14 characters (CEC limit), found {len(spec.osd_name)}"
        )
    return spec


def _udev_rule(table: Table) -> UdevRule:
    rule = UdevRule(
        role=table.text("role", choices=UDEV_ROLES),
        subsystem=table.text("subsystem", choices=UDEV_SUBSYSTEMS),
        id_vendor=table.text("id_vendor", ""),
        id_model=table.text("id_model", ""),
        serial=table.text("serial", ""),
        by_path=table.text("by_path", ""),
        name_contains=table.text("name_contains", ""),
    )
    table.finish()
    for key in ("id_vendor", "id_model"):
        value = getattr(rule, key)
        if value and not re.fullmatch(r"[0-9a-fA-F]{4}", value):
            raise table.error(key, f"expected 4 hex digits, found {value!r}")
    return rule
