"""The kiosk on its SDL thread against the fake room: state in, keys to commands, pictures drawn."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pygame
import pytest

from appliance.services.room_api import CallState, ChatMessage, CommandResult, MuteMicrophone
from appliance.ui.bridge import Kiosk
from appliance.ui.sdl_thread import KioskOptions
from tests.support.kiosk import BASE, main_picture, self_picture
from tests.support.room import FakeRoom

OPTIONS = KioskOptions(size=(640, 360), refresh_hz=30, display_path="software")


async def _until(predicate, limit_s: float = 10.0) -> None:
    """Poll what the SDL thread counts (another thread: there is no event to await)."""
    async with asyncio.timeout(limit_s):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@pytest.fixture
async def running():
    room = FakeRoom(BASE)
    kiosk = Kiosk(room, OPTIONS)
    task = asyncio.create_task(kiosk.run())
    await asyncio.to_thread(kiosk.thread.started.wait, 10)
    yield room, kiosk
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert kiosk.thread.closed.wait(5)


def _press(key: int, char: str) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=char, mod=0, scancode=0))


async def test_kiosk_key_press_reaches_the_room_as_a_command(running) -> None:
    room, _kiosk = running
    _press(pygame.K_m, "m")
    await _until(lambda: room.commands)
    assert room.commands == [MuteMicrophone(True)]


async def test_kiosk_draws_the_pictures_of_the_feed(running) -> None:
    room, kiosk = running
    room.pictures.pictures.update(main=main_picture((640, 360)), self=self_picture())
    await _until(lambda: kiosk.thread.stats.pictures_shown >= 1)
    assert kiosk.thread.stats.draw_ms_mean > 0


async def test_kiosk_follows_state_changes(running) -> None:
    room, kiosk = running
    room.set_state(call=CallState.STANDBY)
    await _until(lambda: "standby" in kiosk.thread.visited)


async def test_kiosk_shows_a_refusal(running, tmp_path: Path) -> None:
    room, kiosk = running
    room.answer = lambda _c: CommandResult(False, "The Host has locked the microphone")
    _press(pygame.K_m, "m")
    await _until(lambda: "toast" in kiosk.thread.visited)


async def test_kiosk_writes_a_screenshot_of_what_it_shows(running, tmp_path: Path) -> None:
    room, kiosk = running
    room.emit(ChatMessage("Ada", "hello"))
    path = tmp_path / "shot.png"
    assert await asyncio.to_thread(kiosk.thread.screenshot, path)
    assert pygame.image.load(str(path)).get_size() == (640, 360)


async def test_kiosk_run_ends_when_the_window_is_closed() -> None:
    room = FakeRoom(BASE)
    kiosk = Kiosk(room, OPTIONS)
    task = asyncio.create_task(kiosk.run())
    await asyncio.to_thread(kiosk.thread.started.wait, 10)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    await asyncio.wait_for(task, 10)
    assert kiosk.thread.error is None


async def test_kiosk_draws_a_self_view_picture_that_comes_alone(running) -> None:
    room, kiosk = running
    room.set_state(call=CallState.IN_CALL)
    await _until(lambda: "in-call" in kiosk.thread.visited)
    shown = kiosk.thread.stats.pictures_shown
    room.pictures.pictures["self"] = self_picture()  # no far-end picture follows it
    await _until(lambda: kiosk.thread.stats.pictures_shown > shown)
