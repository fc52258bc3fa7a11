"""Level 3: ``@pexip/infinity`` in headless Chromium joins our lab node with real media.

esbuild bundles Pexip's client core for the browser; a page served on
127.0.0.1 runs it in the system's Chromium (driven by playwright-core, no
browser download) with Chromium's fake camera and microphone. It joins
``meet`` with audio and video, and the checks read Chromium's own
``getStats()`` (frames decoded from the node, frames sent to it) and the
node's participant list. Each check in ``pexip/browser-page.mjs`` and
``pexip/browser.mjs`` is one test here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.conformance import (
    CHROMIUM,
    SETUP_TIMEOUT_S,
    judge,
    labnode,
    redact,
    run_node,
    steps_in,
    unavailable,
)

# The first test also pays for a first-time npm install (not part of the budget).
pytestmark = pytest.mark.timeout(SETUP_TIMEOUT_S)

PAGE, DRIVER = "browser-page.mjs", "browser.mjs"
STEPS = [*steps_in(PAGE)[:-1], steps_in(DRIVER)[0], steps_in(PAGE)[-1], steps_in(DRIVER)[1]]


@pytest.fixture(scope="module")
def labnode_url() -> Iterator[str]:
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    with labnode("--cors-origin", "*") as url:
        yield url


@pytest.fixture(scope="module")
def outcomes(pexip_workdir: Path, labnode_url: str) -> dict[str, Any]:
    steps, stderr = run_node(pexip_workdir, DRIVER, [labnode_url, CHROMIUM], env_shims=False, timeout=100)
    if "driver" in steps:
        pytest.fail(redact(f"the browser driver failed: {steps['driver']['error']}\n{stderr[-2000:]}"))
    return steps


@pytest.mark.media
@pytest.mark.parametrize("step", STEPS)
def test_pexip_browser_against_labnode(step: str, outcomes: dict[str, Any]) -> None:
    judge(step, outcomes)
