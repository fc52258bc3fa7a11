"""Hot-plug: udev events through pyudev's own Device objects, matched to the profile's roles."""

from __future__ import annotations

import asyncio

import pytest
import pyudev

from appliance.config.profile import UdevRule
from appliance.hw.udev import HotplugMonitor, Presence, matches, netlink_monitor
from appliance.hw.udev_fake import FakeMonitor, udev_device

RULES = (
    UdevRule("camera", "video4linux", id_vendor="046d", id_model="085e"),
    UdevRule("microphone", "sound", name_contains="Jabra"),
    UdevRule("speaker", "sound", by_path="pci-0000:00:14.0-usb-0:2:1.0"),
    UdevRule("ptz", "tty", id_vendor="0403", id_model="6001", serial="FT1234"),
)

CAMERA = {
    "SUBSYSTEM": "video4linux",
    "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/video4linux/video0",
    "DEVNAME": "/dev/video0",
    "ID_VENDOR_ID": "046d",
    "ID_MODEL_ID": "085e",
    "ID_V4L_PRODUCT": "Logitech BRIO",
    "ID_V4L_CAPABILITIES": ":capture:",
}
CAMERA_METADATA = dict(
    CAMERA,
    DEVPATH=CAMERA["DEVPATH"].replace("video0", "video1"),
    DEVNAME="/dev/video1",
    ID_V4L_CAPABILITIES=":",
)
MICROPHONE = {
    "SUBSYSTEM": "sound",
    "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/sound/card1",
    "ID_MODEL": "Jabra_SPEAK_510",
}
SPEAKER = {
    "SUBSYSTEM": "sound",
    "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/sound/card2",
    "ID_MODEL": "USB_Audio",
    "ID_PATH": "pci-0000:00:14.0-usb-0:2:1.0",
}
PTZ = {
    "SUBSYSTEM": "tty",
    "DEVPATH": "/devices/pci0000:00/0000:00:14.0/usb1/1-4/1-4:1.0/ttyUSB0/tty/ttyUSB0",
    "DEVNAME": "/dev/ttyUSB0",
    "ID_VENDOR_ID": "0403",
    "ID_MODEL_ID": "6001",
    "ID_SERIAL_SHORT": "FT1234",
    "ID_MODEL": "FT232R_USB_UART",
}
DEVICES = {"camera": CAMERA, "microphone": MICROPHONE, "speaker": SPEAKER, "ptz": PTZ}


def event(action: str, properties: dict[str, str]) -> pyudev.Device:
    return udev_device({"ACTION": action, "SEQNUM": "1", **properties})


async def next_presence(events) -> Presence:
    async with asyncio.timeout(5.0):
        return await anext(events)


@pytest.fixture
async def hotplug():
    fake = FakeMonitor()
    monitor = HotplugMonitor(RULES, monitor=fake)
    yield monitor, fake
    monitor.close()
    fake.close()


@pytest.mark.parametrize("role", sorted(DEVICES))
async def test_udev_unplug_and_replug_of_each_device_class(role: str, hotplug) -> None:
    monitor, fake = hotplug
    events = aiter(monitor)
    fake.push(event("remove", DEVICES[role]))
    gone = await next_presence(events)
    fake.push(event("add", DEVICES[role]))
    back = await next_presence(events)
    assert (gone.role, gone.present, back.role, back.present) == (role, False, role, True)


async def test_udev_events_name_the_device_node_and_model(hotplug) -> None:
    monitor, fake = hotplug
    events = aiter(monitor)
    fake.push(event("add", PTZ))
    assert await next_presence(events) == Presence("ptz", True, "/dev/ttyUSB0", "FT232R USB UART", "add")


async def test_udev_camera_metadata_node_is_not_a_second_camera(hotplug) -> None:
    monitor, fake = hotplug
    events = aiter(monitor)
    fake.push(event("remove", CAMERA_METADATA))
    fake.push(event("remove", CAMERA))
    assert (await next_presence(events)).node == "/dev/video0"
    assert monitor.ignored == 1


async def test_udev_unknown_device_is_ignored(hotplug) -> None:
    monitor, fake = hotplug
    events = aiter(monitor)
    fake.push(event("add", dict(PTZ, ID_SERIAL_SHORT="OTHER")))
    fake.push(event("add", PTZ))
    assert (await next_presence(events)).role == "ptz"
    assert monitor.ignored == 1


async def test_udev_change_events_are_not_presence(hotplug) -> None:
    monitor, fake = hotplug
    events = aiter(monitor)
    fake.push(event("change", CAMERA))
    fake.push(event("add", CAMERA))
    assert (await next_presence(events)).action == "add"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (UdevRule("camera", "video4linux"), True),
        (UdevRule("camera", "video4linux", id_vendor="046D"), True),
        (UdevRule("camera", "video4linux", id_vendor="1234"), False),
        (UdevRule("camera", "video4linux", serial="X"), False),
        (UdevRule("camera", "video4linux", name_contains="brio"), True),
        (UdevRule("camera", "sound"), False),
    ],
)
def test_udev_rule_matching(rule: UdevRule, expected: bool) -> None:
    assert matches(rule, event("add", CAMERA)) is expected


def test_udev_netlink_monitor_really_starts_where_the_machine_allows() -> None:
    try:
        monitor = netlink_monitor()
        monitor.start()
    except Exception as exc:  # no netlink in this sandbox, or no permission
        pytest.skip(f"udev netlink monitor cannot start here: {exc}")
    assert monitor.fileno() >= 0
    assert monitor.poll(timeout=0) is None or isinstance(monitor.poll(timeout=0), pyudev.Device)


def test_udev_present_now_enumerates_sysfs() -> None:
    ttys = [d for d in pyudev.Context().list_devices(subsystem="tty") if d.device_node]
    if not ttys:
        pytest.skip("this machine's sysfs lists no tty devices to enumerate")
    found = HotplugMonitor([UdevRule("ptz", "tty")]).present_now()
    assert {p.node for p in found} >= {str(ttys[0].device_node)}
