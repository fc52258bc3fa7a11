"""onSplashScreen's properties: the node's screen key dressed with its theme.

In a direct-media conference the client draws the splash screens itself
(reference §4.4): the ``splash_screen`` event names a screen, and the text
and background come from the conference theme (``GET theme/``), fetched
once per session and only when a splash screen first appears.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from appliance.errors import InfinityError
from appliance.infinity.events import SplashScreen
from appliance.log import get_logger

_log = get_logger(__name__)


class SplashScreens:
    """Builds ``{screen_key, text, background, display_duration}`` for one session."""

    def __init__(
        self,
        fetch_theme: Callable[[], Awaitable[dict[str, Any] | None]],
        background_url: Callable[[str], str],
    ) -> None:
        self._fetch_theme = fetch_theme
        self._background_url = background_url
        self._theme: dict[str, Any] | None = None

    async def properties(self, event: SplashScreen) -> dict[str, Any]:
        if self._theme is None:
            try:
                self._theme = await self._fetch_theme() or {}
            except InfinityError as exc:
                _log.warning("splash screen: theme unavailable: %s", exc)
                self._theme = {}
        path = splash_background_path(self._theme, event.screen_key or "")
        background = self._background_url(path) if path is not None else None
        return splash_properties(event, self._theme, background)


def splash_properties(
    event: SplashScreen, theme: dict[str, Any] | None, background_url: str | None
) -> dict[str, Any]:
    """onSplashScreen(properties): ``{screen_key, text, background, display_duration}``.

    Text and background come from the theme (``GET theme/``) entry named by
    the screen key; a theme-less node gives the key alone.
    """
    entry = (theme or {}).get(event.screen_key or "", {}) if theme else {}
    text = ""
    for element in entry.get("elements", []) if isinstance(entry, dict) else []:
        if isinstance(element, dict) and element.get("type") == "text":
            text = str(element.get("text", ""))
            break
    return {
        "screen_key": event.screen_key,
        "text": text,
        "background": background_url,
        "display_duration": event.display_duration,
    }


def splash_background_path(theme: dict[str, Any] | None, screen_key: str) -> str | None:
    entry = (theme or {}).get(screen_key)
    if isinstance(entry, dict):
        background = entry.get("background")
        if isinstance(background, dict) and isinstance(background.get("path"), str):
            return str(background["path"])
    return None
