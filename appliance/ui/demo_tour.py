"""What the demo does with the kiosk: the plain run, and the scripted tour through every screen.

Both press keys through SDL's event queue, as a keyboard or a USB remote
would, and take screenshots of what the kiosk shows (docs/kiosk.md,
"The demo"). The lab node's side of the tour (a bot chats, a bot presents,
a Host mutes us) is pulled through :class:`~appliance.services.demo.DemoStage`.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pygame

from appliance.log import get_logger
from appliance.services.demo import DemoStage, DemoSummary
from appliance.services.room_api import CallState, RoomState
from appliance.ui.bridge import Kiosk
from appliance.ui.model import Screen

log = get_logger(__name__)

SETTLE_S = 0.6  # time for a state change to reach the screen before a screenshot


class Shooter:
    """Numbered screenshots of the kiosk into one folder (none when ``folder`` is None)."""

    def __init__(self, kiosk: Kiosk, folder: Path | None, summary: DemoSummary) -> None:
        self.kiosk = kiosk
        self.folder = folder
        self.summary = summary

    async def shot(self, name: str) -> None:
        if self.folder is None:
            return
        await asyncio.sleep(SETTLE_S)
        path = self.folder / f"{len(self.summary.screenshots) + 1:02d}-{name}.png"
        if await asyncio.to_thread(self.kiosk.thread.screenshot, path):
            self.summary.screenshots.append(str(path))
        else:
            log.warning("kiosk screenshot not written", extra={"context": {"path": str(path)}})


async def shown(kiosk: Kiosk, screen: Screen, timeout_s: float = 5.0) -> None:
    """Wait until the kiosk has drawn ``screen`` (keys pressed earlier would act on the screen before)."""
    async with asyncio.timeout(timeout_s):
        while kiosk.thread.screen_shown != screen:  # noqa: ASYNC110 - set by the SDL thread
            await asyncio.sleep(0.02)


async def join_by_key(stage: DemoStage, kiosk: Kiosk) -> None:
    """OK on the remote: the first press wakes a resting room, the next one joins."""
    if stage.controller.state.call is CallState.STANDBY:
        kiosk.thread.press(pygame.K_RETURN, "\r")
        await stage.wait_for(lambda s: s.call is CallState.IDLE, stage.options.join_timeout_s)
        await asyncio.sleep(SETTLE_S)  # the kiosk has the new state before the next key
    kiosk.thread.press(pygame.K_RETURN, "\r")


def _in_call(state: RoomState) -> bool:
    return state.call is CallState.IN_CALL


async def run_plain(stage: DemoStage, kiosk: Kiosk, shooter: Shooter) -> None:
    """Join by the site file, show the call with a chat toast and the roster, stay ``seconds``."""
    options = stage.options
    await shooter.shot("splash")
    started = time.monotonic()
    await stage.start()
    await stage.wait_for(_in_call, options.join_timeout_s)
    await stage.wait_first_frame(options.join_timeout_s)
    if stage.node is not None and options.bots > 0:
        stage.bot_chat("Welcome! This message came through the lab node's chat.")
    await asyncio.sleep(1.0)
    await shooter.shot("in-call")
    kiosk.thread.press(pygame.K_r, "r")
    await shooter.shot("roster")
    kiosk.thread.press(pygame.K_r, "r")
    seconds = options.seconds
    if seconds is None:
        await asyncio.Event().wait()  # until Ctrl-C or the window is closed
        return
    remaining = seconds - (time.monotonic() - started)
    await asyncio.sleep(max(0.0, remaining))
    stage.update_summary()


async def run_tour(stage: DemoStage, kiosk: Kiosk, shooter: Shooter) -> None:
    """Every screen in one run: standby, PIN, in call, roster, help, presentation, Host mute, leave, error."""
    press = kiosk.thread.press
    timeout = stage.options.join_timeout_s
    await shooter.shot("splash")
    await stage.start()
    await stage.wait_for(lambda s: s.call is CallState.IDLE, timeout)
    await shown(kiosk, Screen.STANDBY)
    await shooter.shot("standby")

    press(pygame.K_RETURN, "\r")  # Join, as the remote's OK button
    await stage.wait_for(lambda s: s.call is CallState.PIN_REQUIRED, timeout)
    await shown(kiosk, Screen.PIN)
    for digit in "1234":  # the pinned room's Host PIN
        press(pygame.K_0 + int(digit), digit)
    await shooter.shot("pin")
    press(pygame.K_RETURN, "\r")
    await stage.wait_for(_in_call, timeout)
    await stage.wait_first_frame(timeout)
    await shown(kiosk, Screen.IN_CALL)

    stage.bot_chat("Welcome to the tour! This is a chat message from a bot.")
    await asyncio.sleep(1.0)
    await shooter.shot("in-call")
    press(pygame.K_r, "r")
    await shooter.shot("roster")
    press(pygame.K_r, "r")
    press(pygame.K_F1)
    await shooter.shot("help")
    press(pygame.K_ESCAPE, "\x1b")

    stage.bot_present(True)
    await stage.wait_for(lambda s: bool(s.meeting.presenter), timeout)
    await asyncio.sleep(2.0)  # the slides' first frames
    await shooter.shot("presentation")
    stage.bot_present(False)
    await stage.wait_for(lambda s: not s.meeting.presenter, timeout)

    stage.host_mute_us(True)
    await stage.wait_for(lambda s: s.muted_by_host, timeout)
    await shooter.shot("muted-by-host")
    stage.host_mute_us(False)
    await stage.wait_for(lambda s: not s.muted_by_host, timeout)

    press(pygame.K_q, "q")  # leave: the room rests in standby after a meeting ([standby] after_meeting)
    await stage.wait_for(lambda s: s.call in (CallState.IDLE, CallState.STANDBY), timeout)
    await shooter.shot("left")

    # a wrong PIN: the PIN screen says so and asks again
    stage.expect_error = True
    await join_by_key(stage, kiosk)
    await stage.wait_for(lambda s: s.call is CallState.PIN_REQUIRED, timeout)
    await shown(kiosk, Screen.PIN)
    for _ in range(4):
        press(pygame.K_0, "0")
    press(pygame.K_RETURN, "\r")
    await stage.wait_for(lambda s: s.call is CallState.JOINING, timeout)
    await stage.wait_for(lambda s: s.call is CallState.PIN_REQUIRED, timeout)
    await shooter.shot("wrong-pin")
    press(pygame.K_ESCAPE, "\x1b")  # Back on an empty entry: give up joining
    await stage.wait_for(lambda s: s.call in (CallState.IDLE, CallState.STANDBY), timeout)

    # the node goes away: the room tries again, then explains in plain words what to do
    await stage.stop_node()
    await join_by_key(stage, kiosk)
    await stage.wait_for(lambda s: s.call is CallState.ERROR, 3 * timeout)
    await shown(kiosk, Screen.ERROR)
    await shooter.shot("error")
    stage.update_summary()
