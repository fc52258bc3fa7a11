"""The SDL thread: the one place SDL runs, and its two hand-offs with the event loop.

SDL wants one thread to own the window, and the event loop must never wait
for a screen (docs/kiosk.md, "Threads"). So the kiosk runs on one named
thread with its own tick at the display's refresh rate:

- in: the room's newest :class:`RoomState` through a latest-value slot
  (newest wins, never a backlog), the room's other events through a
  thread-safe queue, and pictures from the room's
  :class:`~appliance.services.room_api.PictureFeed`, whose ``latest()``
  never blocks;
- out: the :data:`RoomCommand` values keys and taps produce, handed to the
  ``on_commands`` callback, which the bridge (:mod:`appliance.ui.bridge`)
  makes a ``loop.call_soon_threadsafe``.

A frame is drawn only when something changed (a new picture, state, event,
key, the clock's second); the time each draw takes is counted, and a draw
longer than one refresh period counts as a dropped display frame. A new
self-view picture alone waits for the next far-end picture, at most
:data:`SELF_VIEW_PERIOD_S`: the camera and the far end arrive out of step,
and drawing for each would repaint the whole screen twice per far-end frame
for a picture-in-picture.
"""

from __future__ import annotations

import datetime
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import pygame

from appliance.log import get_logger
from appliance.services.room_api import PictureFeed, RoomCommand, RoomEvent, RoomState
from appliance.ui.display import Display, DisplayStats, open_display
from appliance.ui.i18n import Translator
from appliance.ui.keymap import Button, key_down, key_up, tap
from appliance.ui.model import KioskModel
from appliance.ui.pictures import PictureStore
from appliance.ui.view import KioskView

log = get_logger(__name__)

SELF_VIEW_PERIOD_S = 1 / 15  # a self-view picture alone is drawn at most this late

T = TypeVar("T")
Clock = Callable[[], float]
WallClock = Callable[[], datetime.datetime]


class LatestValue(Generic[T]):
    """A one-value hand-off between threads: ``put`` replaces, ``take`` empties (newest wins)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: T | None = None
        self.replaced = 0

    def put(self, value: T) -> None:
        with self._lock:
            if self._value is not None:
                self.replaced += 1
            self._value = value

    def take(self) -> T | None:
        with self._lock:
            value, self._value = self._value, None
            return value


@dataclass(frozen=True, slots=True)
class KioskOptions:
    size: tuple[int, int] = (1280, 720)
    language: str = "en"
    refresh_hz: int = 60
    fullscreen: bool = False
    display_path: str = "auto"  # "auto", "texture" or "software" (appliance.ui.display)
    title: str = "appliance"


class KioskThread:
    """Runs the kiosk on its own SDL thread until :meth:`stop` or the window is closed."""

    def __init__(
        self,
        feed: PictureFeed,
        options: KioskOptions,
        on_commands: Callable[[list[RoomCommand]], None],
        *,
        clock: Clock = time.monotonic,
        wall: WallClock = datetime.datetime.now,
    ) -> None:
        self.options = options
        self.translator = Translator(options.language)  # a bad language fails here, not on the thread
        self._feed = feed
        self._on_commands = on_commands
        self._clock = clock
        self._wall = wall
        self._state: LatestValue[RoomState] = LatestValue()
        self._events: queue.SimpleQueue[RoomEvent | str] = queue.SimpleQueue()  # str: a refusal reason
        self._screenshots: queue.SimpleQueue[tuple[Path, threading.Event]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self.closed = threading.Event()  # set when the thread ends (stop, window closed, failure)
        self.started = threading.Event()  # set once the display is open
        self.error: BaseException | None = None
        self.stats = DisplayStats()
        self.visited: list[str] = []
        self.display_path = ""
        self.screen_shown = ""  # the screen last put on the display (Screen value)
        self._thread = threading.Thread(target=self._run, name="sdl-kiosk", daemon=True)

    # --- any thread -------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def offer_state(self, state: RoomState) -> None:
        self._state.put(state)

    def offer_event(self, event: RoomEvent) -> None:
        self._events.put(event)

    def refused(self, reason: str) -> None:
        self._events.put(reason)

    def press(self, key: int, char: str = "") -> None:
        """Press and release ``key`` as a keyboard or remote would (SDL's queue is thread-safe)."""
        for kind in (pygame.KEYDOWN, pygame.KEYUP):
            pygame.event.post(pygame.event.Event(kind, key=key, unicode=char, mod=0, scancode=0))

    def screenshot(self, path: Path, timeout: float = 5.0) -> bool:
        """Ask for the next frame drawn to be written to ``path`` (PNG); True once written."""
        done = threading.Event()
        self._screenshots.put((path, done))
        return done.wait(timeout)

    # --- the SDL thread ---------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # the kiosk must never take the call down: report and end
            self.error = exc
            log.error("kiosk display failed", extra={"context": {"error": str(exc)}}, exc_info=True)
        finally:
            self.closed.set()

    def _loop(self) -> None:
        options = self.options
        display = open_display(
            options.display_path, options.size, fullscreen=options.fullscreen, title=options.title
        )
        try:
            self.display_path = display.name
            view = KioskView(display.size, self.translator)
            model = KioskModel()
            pictures = PictureStore()
            ticker = pygame.time.Clock()
            period_ms = 1000.0 / options.refresh_hz
            buttons: list[Button] = []
            second = -1
            self_pending = False  # a self-view picture not yet drawn
            last_draw = float("-inf")
            self.started.set()
            log.info("kiosk started", extra={"context": {"path": display.name, "size": list(display.size)}})
            while not self._stop.is_set():
                now = self._clock()
                self._take_room(model, now)  # first: keys act on the screen the room is in now
                if not self._pump(model, buttons, now, display.size):
                    return
                model.expire(now)
                fresh = pictures.take(self._feed)
                if not model.state.meeting.presenter:
                    pictures.forget("presentation")  # nothing stale when the next one starts
                if int(now) != second:  # the clock and the call duration move once a second
                    second = int(now)
                    model.changed = True
                self_pending = self_pending or "self" in fresh
                due = bool(fresh - {"self"}) or (self_pending and now - last_draw >= SELF_VIEW_PERIOD_S)
                if due or model.changed or not self._screenshots.empty():
                    new_picture = bool(fresh) or self_pending  # a waiting self-view picture counts
                    self_pending = False
                    last_draw = now
                    ui_changed = model.changed
                    model.changed = False
                    started = time.perf_counter()
                    places = view.video_layout(model, pictures.sizes(), now)

                    def draw(
                        target: pygame.Surface, *, _now: float = now, _model: KioskModel = model
                    ) -> None:
                        buttons[:] = view.draw_ui(target, _model, _now, self._wall())

                    display.present(places, pictures, draw, ui_changed)
                    self._account(started, period_ms, new_picture and bool(places))
                    self._write_screenshots(display)
                    self.visited = list(model.visited)
                    self.screen_shown = str(model.screen)
                ticker.tick(options.refresh_hz)
        finally:
            display.close()

    def _pump(self, model: KioskModel, buttons: list[Button], now: float, size: tuple[int, int]) -> bool:
        """Turn SDL's input events into model changes and commands; False when the window was closed."""
        commands: list[RoomCommand] = []
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                return False
            if event.type == pygame.KEYDOWN:
                commands += key_down(model, event.key, event.unicode, now)
            elif event.type == pygame.KEYUP:
                commands += key_up(model, event.key)
            elif event.type == pygame.FINGERDOWN:
                position = (int(event.x * size[0]), int(event.y * size[1]))
                commands += tap(model, position, buttons, now)
            elif (
                event.type == pygame.MOUSEBUTTONDOWN
                and not getattr(event, "touch", False)
                and event.button == 1
            ):
                commands += tap(
                    model, event.pos, buttons, now
                )  # a mouse on a desktop; touches come as fingers
        if commands:
            self._on_commands(commands)
        return True

    def _take_room(self, model: KioskModel, now: float) -> None:
        state = self._state.take()
        if state is not None:
            model.apply_state(state, now)
        while True:
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, str):
                model.refused(item, now)
            else:
                model.apply_event(item, now, self.translator._)

    def _account(self, started: float, period_ms: float, picture: bool) -> None:
        elapsed = (time.perf_counter() - started) * 1000.0
        stats = self.stats
        stats.presented += 1
        stats.pictures_shown += int(picture)
        stats.draw_ms_total += elapsed
        stats.draw_ms_max = max(stats.draw_ms_max, elapsed)
        if elapsed > period_ms:
            stats.late += 1

    def _write_screenshots(self, display: Display) -> None:
        while not self._screenshots.empty():
            path, done = self._screenshots.get_nowait()
            path.parent.mkdir(parents=True, exist_ok=True)
            pygame.image.save(display.snapshot(), str(path))
            done.set()
