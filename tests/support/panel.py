"""A panel on gpiozero's mock pins, driven by a manual clock, against the fake room."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from gpiozero.pins.mock import MockFactory, MockPWMPin

from appliance.config.profile import GpioSpec, load_profile
from appliance.services.panel import Panel
from tests.support.manual_clock import ManualClock
from tests.support.room import FakeRoom


def ci_gpio(**button_changes: Any) -> GpioSpec:
    """ci-virtual's [gpio], with every button changed by ``button_changes`` (e.g. bounce_s=0.02)."""
    gpio = load_profile("ci-virtual").gpio
    buttons = {name: dataclasses.replace(b, **button_changes) for name, b in gpio.buttons.items()}
    return dataclasses.replace(gpio, buttons=buttons)


def pin_number(pin: str) -> int:
    return int(pin.removeprefix("GPIO"))


async def settle() -> None:
    """Let edges cross the bridge and commands reach the room."""
    for _ in range(10):
        await asyncio.sleep(0)


@dataclasses.dataclass
class Bench:
    panel: Panel
    room: FakeRoom
    clock: ManualClock
    factory: MockFactory
    gpio: GpioSpec

    async def press(self, name: str) -> None:
        self.factory.pin(pin_number(self.gpio.buttons[name].pin)).drive_low()  # pull-up: pressed pulls low
        await settle()

    async def release(self, name: str) -> None:
        self.factory.pin(pin_number(self.gpio.buttons[name].pin)).drive_high()
        await settle()

    async def tap(self, name: str, held_s: float = 0.1) -> None:
        await self.press(name)
        await self.clock.advance(held_s)
        await self.release(name)

    def led(self, role: str) -> float:
        return float(self.factory.pin(pin_number(self.gpio.leds[role].pin)).state)


@asynccontextmanager
async def panel_bench(
    room: FakeRoom | None = None, gpio: GpioSpec | None = None, *, pwm: bool = True
) -> AsyncIterator[Bench]:
    factory = MockFactory(pin_class=MockPWMPin if pwm else None)
    room = room or FakeRoom()
    clock = ManualClock()
    gpio = gpio or ci_gpio()
    try:
        async with Panel(room, gpio, clock, factory=factory) as panel:
            await settle()
            yield Bench(panel, room, clock, factory, gpio)
    finally:
        factory.reset()
