"""Panel buttons and LEDs on gpiozero, with the pin factory the profile names.

The pin factory is resolved from the profile's ``[gpio] pin_factory`` by
gpiozero's own entry-point group (``gpiozero_pin_factories``: ``lgpio``,
``rpigpio``, ``pigpio``, ``native``, ``mock``) and passed to every device
as ``pin_factory=``; ``Device.pin_factory`` is never set, so tests build
a ``MockFactory`` and pass it in (docs/hardware.md, "Buttons and LEDs").

Button edges are the one bridge from gpiozero's threads (its edge thread on
a Pi, the caller's thread under the mock) into the event loop:
``loop.call_soon_threadsafe(queue.put_nowait, edge)``, stamped with the
clock at the edge. Debounce and hold are not gpiozero's (``bounce_time``
is left off): :mod:`appliance.hw.gestures` does both with time passed in.
Buttons are plain ``DigitalInputDevice`` s: gpiozero's ``Button`` adds a
hold thread per button that polls ten times a second, which we do not use.

A missing GPIO chip, a busy pin or a pin the board does not have is a
:class:`GpioError` naming the profile key, never a crash at start-up.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from gpiozero import LED, PWMLED, DigitalInputDevice
from gpiozero.exc import GPIOZeroError, PinPWMUnsupported

from appliance.config.profile import GpioSpec
from appliance.errors import DeviceError
from appliance.hw.timing import SYSTEM_CLOCK, Clock
from appliance.log import get_logger

log = get_logger(__name__)

BLINK_ON_S = 0.4
BLINK_OFF_S = 0.4
BREATHE_S = 1.5


class GpioError(DeviceError):
    """A GPIO chip, factory or pin the profile names cannot be used."""


class LedPattern(enum.StrEnum):
    OFF = "off"
    ON = "on"
    BLINK = "blink"
    BREATHE = "breathe"  # a slow pulse where the pin has PWM; steady on where it has not


@dataclass(frozen=True, slots=True)
class Edge:
    button: str  # the profile's button name
    pressed: bool
    at: float  # clock.monotonic() at the edge


def pin_factory(name: str, *, where: str = "[gpio] pin_factory") -> Any:
    """A gpiozero pin factory by its entry-point name; :class:`GpioError` naming ``where`` if unusable."""
    found = entry_points(group="gpiozero_pin_factories", name=name)
    if not found:
        raise GpioError(f"{where} = {name!r}: gpiozero has no such pin factory")
    entry = next(iter(found))
    try:
        return entry.load()()
    except Exception as exc:  # ImportError, lgpio.error, OSError, RuntimeError: all "no chip here"
        raise GpioError(
            f"{where} = {name!r}: cannot open the GPIO chip ({type(exc).__name__}: {exc});"
            " on a board without that GPIO use the 'mock' factory or another profile"
        ) from exc


class PanelIO:
    """The panel's buttons (edges on the loop) and LEDs (patterns), built from ``[gpio]``.

    ``factory`` overrides the profile's factory (tests pass a ``MockFactory``);
    ``profile_name`` goes into error messages.
    """

    def __init__(
        self,
        spec: GpioSpec,
        *,
        factory: Any = None,
        clock: Clock = SYSTEM_CLOCK,
        profile_name: str = "profile",
    ) -> None:
        self.spec = spec
        self.clock = clock
        self.factory = (
            factory
            if factory is not None
            else pin_factory(spec.pin_factory, where=f"{profile_name}: [gpio] pin_factory")
        )
        self.buttons: dict[str, DigitalInputDevice] = {}
        self.leds: dict[str, LED | PWMLED] = {}
        self.patterns: dict[str, LedPattern] = {}
        self._queue: asyncio.Queue[Edge] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        try:
            for name, button in spec.buttons.items():
                self.buttons[name] = self._open(
                    f"{profile_name}: [gpio.buttons.{name}] pin",
                    button.pin,
                    lambda pin, b=button: DigitalInputDevice(  # type: ignore[misc]
                        pin, pull_up=b.pull_up, bounce_time=None, pin_factory=self.factory
                    ),
                )
                self.buttons[name].when_activated = self._bridge(name, True)
                self.buttons[name].when_deactivated = self._bridge(name, False)
            for role, led in spec.leds.items():
                self.leds[role] = self._open_led(
                    f"{profile_name}: [gpio.leds.{role}] pin", led.pin, led.active_high
                )
                self.patterns[role] = LedPattern.OFF
        except GpioError:
            self.close()
            raise

    def _open(self, where: str, pin: str, make: Callable[[str], Any]) -> Any:
        try:
            return make(pin)
        except (GPIOZeroError, OSError, RuntimeError) as exc:
            raise GpioError(f"{where} = {pin!r}: {type(exc).__name__}: {exc}") from exc

    def _open_led(self, where: str, pin: str, active_high: bool) -> LED | PWMLED:
        try:
            return PWMLED(pin, active_high=active_high, pin_factory=self.factory)
        except PinPWMUnsupported:
            pass
        except (GPIOZeroError, OSError, RuntimeError) as exc:
            if "PWM" not in str(exc):
                raise GpioError(f"{where} = {pin!r}: {type(exc).__name__}: {exc}") from exc
        led: LED = self._open(where, pin, lambda p: LED(p, active_high=active_high, pin_factory=self.factory))
        return led

    def _bridge(self, name: str, pressed: bool) -> Callable[[], None]:
        """The one hand-off from gpiozero's thread to the loop (docs/hardware.md, "Bridges")."""

        def on_edge() -> None:
            edge = Edge(name, pressed, self.clock.monotonic())
            try:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, edge)
            except RuntimeError:  # the loop is closed: the panel is gone
                pass

        return on_edge

    async def edges(self) -> AsyncIterator[Edge]:
        while True:
            yield await self._queue.get()

    def is_pressed(self, name: str) -> bool:
        return bool(self.buttons[name].is_active)

    def has_pwm(self, role: str) -> bool:
        return isinstance(self.leds.get(role), PWMLED)

    def show(self, role: str, pattern: LedPattern) -> None:
        """Put LED ``role`` into ``pattern`` (no-op when the profile has no such LED or it is already so)."""
        led = self.leds.get(role)
        if led is None or self.patterns.get(role) is pattern:
            return
        self.patterns[role] = pattern
        if pattern is LedPattern.ON:
            led.on()
        elif pattern is LedPattern.OFF:
            led.off()
        elif pattern is LedPattern.BLINK:
            led.blink(on_time=BLINK_ON_S, off_time=BLINK_OFF_S, background=True)
        elif isinstance(led, PWMLED):
            led.pulse(fade_in_time=BREATHE_S, fade_out_time=BREATHE_S, background=True)
        else:
            led.on()

    def close(self) -> None:
        for device in [*self.buttons.values(), *self.leds.values()]:
            device.close()
        self.buttons.clear()
        self.leds.clear()
