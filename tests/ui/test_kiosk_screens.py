"""Every kiosk screen drawn headless matches its reviewed reference image.

After a reviewed change, regenerate the references with
``.venv/bin/python -m tests.support.kiosk`` and look at them (docs/kiosk.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygame
import pytest

from appliance.services.room_api import ErrorKind
from appliance.ui.i18n import Translator
from appliance.ui.screens.error import ERRORS
from tests.support.kiosk import REFERENCE_CASES, SIZES, reference_path, render, scenes


def _pixels(surface: pygame.Surface) -> np.ndarray:
    return pygame.surfarray.array3d(surface).astype(np.int16)


def _difference(actual: pygame.Surface, expected: pygame.Surface) -> tuple[float, float]:
    """Mean absolute difference per channel, and the share of pixels off by more than 48."""
    a, e = _pixels(actual), _pixels(expected)
    assert a.shape == e.shape
    diff = np.abs(a - e)
    return float(diff.mean()), float((diff.max(axis=2) > 48).mean())


@pytest.mark.parametrize(("name", "size", "language"), REFERENCE_CASES, ids=lambda v: str(v))
def test_kiosk_screen_matches_its_reference(name: str, size: str, language: str, tmp_path: Path) -> None:
    actual = render(name, SIZES[size], language)
    expected = pygame.image.load(str(reference_path(name, size, language)))
    mean, share = _difference(actual, expected)
    if mean > 1.0 or share > 0.002:
        pygame.image.save(actual, str(tmp_path / f"{name}-{size}-{language}.png"))
    assert mean <= 1.0 and share <= 0.002, (
        f"{name} {size} {language}: mean {mean:.2f}, {share:.2%} off; see {tmp_path}"
    )


def test_kiosk_4k_screen_is_the_1080p_screen_scaled() -> None:
    big = render("in-call", SIZES["4k"])
    scaled = pygame.transform.smoothscale(big, SIZES["1080p"])
    expected = pygame.image.load(str(reference_path("in-call", "1080p", "en")))
    mean, _share = _difference(scaled, expected)
    assert mean <= 4.0, f"4K scaled down differs from 1080p by {mean:.2f} per channel"


def test_kiosk_every_scene_has_a_reference_at_720p() -> None:
    assert {name for name, size, _ in REFERENCE_CASES if size == "720p"} == set(scenes())


def test_kiosk_every_error_kind_has_a_title_and_a_remedy() -> None:
    assert set(ERRORS) == set(ErrorKind)


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_kiosk_every_error_kind_is_explained_in_german(kind: ErrorKind) -> None:
    german = Translator("de")
    title, remedy = ERRORS[kind]
    assert german._(title) != title and german._(remedy) != remedy
