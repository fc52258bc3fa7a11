"""Buttons and LEDs on gpiozero with the profile's pin factory (appliance.hw.gpio)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

import pytest
from gpiozero.pins.mock import MockFactory

from appliance.config.profile import load_profile
from appliance.hw.gpio import GpioError, LedPattern, PanelIO, pin_factory
from tests.support.manual_clock import ManualClock


@pytest.fixture
def factory():
    factory = MockFactory()
    yield factory
    factory.reset()


def test_gpio_mock_factory_is_found_by_its_entry_point_name() -> None:
    assert type(pin_factory("mock")).__name__ == "MockFactory"


def test_gpio_unknown_factory_names_the_profile_key() -> None:
    with pytest.raises(GpioError, match=r"\[gpio\] pin_factory = 'gpiod': gpiozero has no such pin factory"):
        pin_factory("gpiod")


def test_gpio_factory_without_a_chip_is_a_clear_error_not_a_crash() -> None:
    # this machine has no /dev/gpiochip*: lgpio (a Pi 5's factory) cannot open one
    with pytest.raises(
        GpioError, match=r"rpi5-usbcam: \[gpio\] pin_factory = 'lgpio': cannot open the GPIO chip"
    ):
        PanelIO(load_profile("rpi5-usbcam").gpio, profile_name="rpi5-usbcam")


async def test_gpio_busy_pin_names_the_button_key(factory: MockFactory) -> None:
    gpio = load_profile("ci-virtual").gpio
    first = PanelIO(gpio, factory=factory)
    try:
        with pytest.raises(
            GpioError, match=r"ci-virtual: \[gpio.buttons.mute\] pin = 'GPIO17': GPIOPinInUse"
        ):
            PanelIO(gpio, factory=factory, profile_name="ci-virtual")
    finally:
        first.close()


async def test_gpio_edges_from_another_thread_arrive_on_the_loop_in_order(factory: MockFactory) -> None:
    clock = ManualClock(50.0)
    io = PanelIO(load_profile("ci-virtual").gpio, factory=factory, clock=clock)
    try:
        pin = factory.pin(17)
        worker = threading.Thread(target=lambda: (pin.drive_low(), pin.drive_high()))
        worker.start()
        worker.join()
        edges = io.edges()
        async with asyncio.timeout(5):
            first, second = await anext(edges), await anext(edges)
        assert [(e.button, e.pressed, e.at) for e in (first, second)] == [
            ("mute", True, 50.0),
            ("mute", False, 50.0),
        ]
    finally:
        io.close()


async def test_gpio_pull_down_button_is_pressed_when_driven_high(factory: MockFactory) -> None:
    gpio = load_profile("ci-virtual").gpio
    buttons = {"mute": dataclasses.replace(gpio.buttons["mute"], pull_up=False)}
    io = PanelIO(dataclasses.replace(gpio, buttons=buttons, leds={}), factory=factory)
    try:
        factory.pin(17).drive_high()
        assert io.is_pressed("mute")
    finally:
        io.close()


async def test_gpio_active_low_led_drives_its_pin_low_when_lit(factory: MockFactory) -> None:
    gpio = load_profile("ci-virtual").gpio
    leds = {"in_call": dataclasses.replace(gpio.leds["in_call"], active_high=False)}
    io = PanelIO(dataclasses.replace(gpio, buttons={}, leds=leds), factory=factory)
    try:
        io.show("in_call", LedPattern.ON)
        assert factory.pin(24).state == 0
    finally:
        io.close()


async def test_gpio_led_without_pwm_falls_back_to_on_off(factory: MockFactory) -> None:
    io = PanelIO(load_profile("ci-virtual").gpio, factory=factory)
    try:
        assert not io.has_pwm("standby")
        io.show("standby", LedPattern.BREATHE)
        assert factory.pin(13).state == 1
    finally:
        io.close()
