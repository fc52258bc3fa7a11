"""``appliance doctor``: what the hardware profile expects, what is present, and what to do about it.

One verdict per line — display, camera, microphone, loudspeaker, GPIO chip
and pins, the PTZ camera with a VISCA round trip, udev, and the decoders and
encoders that will really be used — each with a remedy when it fails. The
exit status is non-zero when something the profile requires is missing;
``--json`` prints the same verdicts for machines. ``--profile ci-virtual``
passes on a bare machine: its devices are FFmpeg test sources, mock pins
and the fake VISCA camera, which doctor starts itself (docs/hardware.md,
"appliance doctor").

Every check runs for real: devices are opened (in a thread, with a
deadline, since PyAV's opens block), pins are claimed through the
profile's pin factory and released, and the PTZ camera answers a power
inquiry.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import av

from appliance.config.profile import CaptureSpec, HwProfile, load_profile
from appliance.config.site import SiteConfig, load_site
from appliance.errors import ApplianceError, ConfigError, MediaError
from appliance.hw.gpio import PanelIO
from appliance.hw.udev import HotplugMonitor, netlink_monitor
from appliance.hw.visca.driver import PtzCamera, open_link
from appliance.hw.visca.fake import FakeViscaCamera
from appliance.hw.visca.transport import IpLink, Link, SerialLink
from appliance.media.array_capture import VIRTUAL_RENDER_DEADLINE_S, probe_array
from appliance.media.decoders import probe_decoder
from appliance.media.encoders import probe_encoder
from appliance.services.devices import array_device

OPEN_DEADLINE_S = 10.0
DEFAULT_SITE = Path("/etc/appliance/site.toml")


@dataclass(frozen=True, slots=True)
class Verdict:
    check: str  # "display", "camera", "microphone", "speaker", "gpio", "ptz", "udev", "h264 decoder"...
    ok: bool
    detail: str
    required: bool = True
    remedy: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.required else "warn")
        text = f"{mark} {self.check:<14} {self.detail}"
        return f"{text} -> {self.remedy}" if not self.ok and self.remedy else text


# -- display --------------------------------------------------------------------------------


def check_display(profile: HwProfile) -> Verdict:
    display = profile.display
    want = f"{display.width}x{display.height} on SDL {display.sdl_video_driver}"
    driver = display.sdl_video_driver
    if driver in ("dummy", "offscreen"):
        return Verdict("display", True, f"{want} (virtual: no screen needed)")
    if driver in ("x11", "wayland"):
        variable = "DISPLAY" if driver == "x11" else "WAYLAND_DISPLAY"
        if os.environ.get(variable):
            return Verdict("display", True, f"{want}, {variable}={os.environ[variable]}")
        return Verdict(
            "display", False, f"{want}: ${variable} is not set", remedy=f"start the session or set {variable}"
        )
    connectors = sorted(Path("/sys/class/drm").glob("card*-*"))
    connected = [
        c
        for c in connectors
        if (c / "status").is_file() and (c / "status").read_text().strip() == "connected"
    ]
    if not connected:
        return Verdict(
            "display", False, f"{want}: no connected DRM connector in /sys/class/drm",
            remedy="plug in the HDMI screen (and check dtoverlay=vc4-kms-v3d on a Pi)",
        )  # fmt: skip
    modes = {m for c in connected for m in (c / "modes").read_text().split()} if connected else set()
    mode = f"{display.width}x{display.height}"
    if mode not in modes:
        return Verdict(
            "display", False, f"{want}: the screen offers {', '.join(sorted(modes)) or 'no modes'}",
            remedy="set [display] width/height to one of the offered modes",
        )  # fmt: skip
    return Verdict("display", True, f"{want}, {connected[0].name} offers {len(modes)} modes")


# -- capture and playback ---------------------------------------------------------------------


def _first_frame(capture: CaptureSpec, kind: str) -> str:
    with av.open(
        capture.device, format=capture.format, options=dict(capture.options), timeout=OPEN_DEADLINE_S
    ) as c:
        stream = c.streams.video[0] if kind == "video" else c.streams.audio[0]
        for frame in c.decode(stream):
            if isinstance(frame, av.VideoFrame):
                return f"{frame.width}x{frame.height} {frame.format.name}"
            if isinstance(frame, av.AudioFrame):
                return f"{frame.sample_rate} Hz {frame.layout.name} {frame.format.name}"
    raise ValueError("the device gave no frame")


async def check_capture(check: str, kind: str, capture: CaptureSpec) -> Verdict:
    where = f"{capture.format}:{capture.device}"
    try:
        async with asyncio.timeout(OPEN_DEADLINE_S):
            got = await asyncio.to_thread(_first_frame, capture, kind)
    except (av.FFmpegError, OSError, ValueError, IndexError, TimeoutError) as exc:
        remedy = (
            "plug in the device, or fix the profile's device/options ([video_capture] / [audio_capture])"
            if capture.format != "lavfi"
            else "this FFmpeg lacks the lavfi source; reinstall PyAV from its wheel"
        )
        return Verdict(check, False, f"{where}: {type(exc).__name__}: {exc}", remedy=remedy)
    extra = ""
    if kind == "video" and capture.ptz_view is not None:
        extra = f", sends a {capture.ptz_view[0]}x{capture.ptz_view[1]} view moved by the virtual PTZ camera"
    return Verdict(check, True, f"{where} gives {got}{extra}")


# A microphone channel this quiet is dead (a real one hears at least its own noise, ~-70 dBFS).
SILENT_DBFS = -100.0


async def check_array(profile: HwProfile) -> Verdict:
    """The microphone array: opened as a call opens it, channel count checked, each channel's level."""
    array = profile.audio_array
    assert array is not None
    where = f"{array.format}:{array.device}"
    deadline = VIRTUAL_RENDER_DEADLINE_S if array.format == "virtual" else OPEN_DEADLINE_S
    try:
        async with asyncio.timeout(deadline):
            probe = await asyncio.to_thread(probe_array, array_device(array))
    except (MediaError, av.FFmpegError, OSError, ValueError, TimeoutError) as exc:
        return Verdict(
            "array", False, f"{where}: {type(exc).__name__}: {exc}",
            remedy="plug in the array, or fix [audio_array] device/channels "
            "(arecord -L names devices; arecord -D DEVICE --dump-hw-params shows the channels)",
        )  # fmt: skip
    levels = [probe.levels_dbfs[channel] for channel in array.mic_channels]
    shown = "/".join(f"{level:.0f}" if math.isfinite(level) else "silent" for level in levels)
    channels = ",".join(str(c) for c in array.mic_channels)
    detail = (
        f"{where}: {probe.channels} channels, {len(levels)} microphones on channels {channels}, "
        f"{array.aperture_mm:.0f} mm across; levels {shown} dBFS; AEC {array.aec}"
    )
    if not array.steerable:
        detail += "; too small to steer: best channel, no direction"
    dead = [c for c, level in zip(array.mic_channels, levels, strict=True) if level < SILENT_DBFS]
    if dead and len(dead) < len(levels):
        return Verdict(
            "array", False, f"{detail}; channel(s) {','.join(map(str, dead))} silent while others hear sound",
            remedy="check the array's cable and firmware, and [audio_array] mic_channels",
        )  # fmt: skip
    return Verdict("array", True, detail)


def check_playback(profile: HwProfile) -> Verdict:
    playback = profile.audio_playback
    where = f"{playback.format}:{playback.device or '-'}"
    if playback.format in ("null", "file"):
        return Verdict("speaker", True, f"{where} (no device needed)")
    if playback.format == "pulse":
        runtime = Path(os.environ.get("XDG_RUNTIME_DIR", f"/run/user/{os.getuid()}"))
        if os.environ.get("PULSE_SERVER") or (runtime / "pulse" / "native").exists():
            return Verdict("speaker", True, f"{where}, PulseAudio server found")
        return Verdict(
            "speaker", False, f"{where}: no PulseAudio server", remedy="start pipewire-pulse/pulseaudio"
        )
    cards = Path("/proc/asound/cards")
    listing = cards.read_text() if cards.is_file() else ""
    card = playback.device.partition("CARD=")[2].split(",")[0]
    if not listing or (card and card not in listing):
        return Verdict(
            "speaker", False, f"{where}: ALSA card {card or '?'} not in /proc/asound/cards",
            remedy="plug in the speaker / HDMI screen, or fix [audio_playback] device (aplay -L lists them)",
        )  # fmt: skip
    return Verdict("speaker", True, f"{where}, card present")


# -- GPIO -------------------------------------------------------------------------------------


async def check_gpio(profile: HwProfile) -> Verdict:
    gpio = profile.gpio
    pins = len(gpio.buttons) + len(gpio.leds)
    if not pins:
        return Verdict("gpio", True, "no buttons or LEDs in this profile", required=False)
    try:
        io = PanelIO(gpio, profile_name=profile.name)
    except ApplianceError as exc:
        return Verdict(
            "gpio", False, str(exc),
            remedy="run on the board the profile is for (with its GPIO library), free the pins, fix [gpio]",
        )  # fmt: skip
    try:
        pwm = [role for role in gpio.leds if io.has_pwm(role)]
    finally:
        io.close()
    detail = f"{gpio.pin_factory}: {len(gpio.buttons)} buttons and {len(gpio.leds)} LEDs claimed and released"
    return Verdict("gpio", True, detail + (f"; PWM on {', '.join(pwm)}" if pwm else ""))


# -- PTZ camera -------------------------------------------------------------------------------


async def _round_trip(link: Link, profile: HwProfile) -> str:
    camera = PtzCamera(link, address=profile.visca.address, timeout_s=profile.visca.timeout_s, retries=1)
    try:
        await camera.start()
        started = time.perf_counter()
        powered = await camera.powered()
        pan, tilt = await camera.position()
        elapsed_ms = (time.perf_counter() - started) * 1000 / 2
    finally:
        await camera.close()
    state = "on" if powered else "standby"
    return f"power {state}, pan/tilt {pan}/{tilt}, inquiry round trip {elapsed_ms:.1f} ms"


def _exists(path: str) -> bool:
    return Path(path).exists()


async def check_ptz(profile: HwProfile) -> Verdict:
    visca = profile.visca
    if visca.driver == "none":
        return Verdict("ptz", True, "no PTZ camera in this profile ([visca] driver = 'none')", required=False)
    fake: FakeViscaCamera | None = None
    try:
        if visca.driver == "fake":
            fake = await FakeViscaCamera(
                visca.address, serial=visca.fake_transport == "serial", udp=visca.fake_transport == "ip"
            ).start()
            link: Link = (
                SerialLink(fake.serial_path)
                if visca.fake_transport == "serial"
                else IpLink("127.0.0.1", fake.udp_port)
            )
            where = f"fake camera on {link.name}"
        else:
            link = open_link(
                visca.driver, port=visca.port, baudrate=visca.baudrate, host=visca.host, ip_port=visca.ip_port
            )
            where = link.name
        if visca.driver == "serial" and not _exists(visca.port):
            return Verdict(
                "ptz", False, f"{where}: no such device",
                remedy="plug in the USB-serial adapter, or fix [visca] port (ls /dev/serial/by-id/)",
            )  # fmt: skip
        detail = await _round_trip(link, profile)
    except ApplianceError as exc:
        remedy = (
            "check the camera's power, its VISCA cable and address, and [visca] baudrate"
            if visca.driver == "serial"
            else "check the camera's address, that VISCA over IP is on, and [visca] host/ip_port"
        )
        return Verdict("ptz", False, f"{visca.driver}: {exc}", remedy=remedy)
    finally:
        if fake is not None:
            await fake.close()
    return Verdict("ptz", True, f"{where}: {detail}")


# -- udev, codecs -----------------------------------------------------------------------------


def check_udev(profile: HwProfile) -> Verdict:
    if not profile.udev:
        return Verdict("udev", True, "no hot-plug rules in this profile", required=False)
    try:
        netlink_monitor().start()
    except Exception as exc:  # no netlink socket in this container, or no permission
        return Verdict(
            "udev", False, f"cannot listen to udev events: {exc}", required=False,
            remedy="hot-plug is not followed; run on a host with udev (systemd-udevd)",
        )  # fmt: skip
    present = HotplugMonitor(profile.udev).present_now()
    roles = sorted({p.role for p in present})
    wanted = sorted({rule.role for rule in profile.udev})
    missing = [role for role in wanted if role not in roles]
    detail = f"monitor starts; present: {', '.join(roles) or 'none'}"
    if missing:
        return Verdict(
            "udev", False, f"{detail}; no device for {', '.join(missing)}", required=False,
            remedy="plug in the devices, or fix the [[udev]] rules (udevadm info /dev/... shows the IDs)",
        )  # fmt: skip
    return Verdict("udev", True, detail)


def check_codecs(profile: HwProfile) -> list[Verdict]:
    verdicts = []
    for direction, lists, probe in (
        ("decoder", profile.decoders, probe_decoder),
        ("encoder", profile.encoders, probe_encoder),
    ):
        for codec, names in lists.items():
            rejected = []
            chosen = None
            for name in names:
                reason = probe(name)
                if reason is None:
                    chosen = name
                    break
                rejected.append(f"{name} ({reason})")
            check = f"{codec} {direction}"
            if chosen is None:
                remedy = f"add a {direction} that opens here to [{direction}s] {codec}"
                verdicts.append(Verdict(check, False, f"none opens: {'; '.join(rejected)}", remedy=remedy))
            else:
                fallback = f" (after {'; '.join(rejected)})" if rejected else ""
                verdicts.append(Verdict(check, True, f"{chosen} will be used{fallback}"))
    return verdicts


async def diagnose(profile: HwProfile, site: SiteConfig | None = None) -> list[Verdict]:
    """Every check of ``profile`` (and ``site``'s registration) on this machine, in reading order."""
    # doctor_calls builds on Verdict from this module, so it is imported here, not at the top.
    from appliance.services.doctor_calls import check_cec, check_registration

    verdicts = [check_display(profile)]
    verdicts.append(await check_capture("camera", "video", profile.video_capture))
    verdicts.append(await check_capture("microphone", "audio", profile.audio_capture))
    verdicts.append(check_playback(profile))
    verdicts.append(await check_gpio(profile))
    verdicts.append(await check_ptz(profile))
    verdicts.append(check_udev(profile))
    if profile.audio_array is not None:
        verdicts.append(await check_array(profile))
    verdicts.extend(await asyncio.to_thread(check_codecs, profile))
    verdicts.append(await check_cec(profile))
    if site is not None:
        verdicts.append(await check_registration(site))
    return verdicts


# -- the command ------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", help="hardware profile name or file (default: the site file's)")
    parser.add_argument(
        "--site",
        type=Path,
        default=DEFAULT_SITE,
        help=f"site file naming the profile (default {DEFAULT_SITE})",
    )
    parser.add_argument("--json", action="store_true", help="print the verdicts as one JSON object")


def _profile(args: argparse.Namespace) -> HwProfile:
    if args.profile:
        return load_profile(args.profile)
    if not args.site.is_file():
        raise ConfigError(f"no --profile given and no site file at {args.site}: say which profile to check")
    return load_profile(load_site(args.site).profile)


def run(args: argparse.Namespace) -> int:
    profile = _profile(args)
    # The registration is checked when there is a site file to name it.
    site = load_site(args.site) if args.site.is_file() else None
    verdicts = asyncio.run(diagnose(profile, site))
    failed = [v for v in verdicts if v.required and not v.ok]
    if args.json:
        report: dict[str, Any] = {
            "profile": profile.name,
            "ok": not failed,
            "verdicts": [asdict(v) for v in verdicts],
        }
        print(json.dumps(report))
    else:
        print(f"appliance doctor: profile {profile.name} ({profile.description})")
        for verdict in verdicts:
            print(verdict.line())
        print(
            f"{len(failed)} required check(s) failed"
            if failed
            else "everything the profile requires is present"
        )
    return 1 if failed else 0
