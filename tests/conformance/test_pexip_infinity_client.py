"""Level 2: Pexip's web client core, ``@pexip/infinity``, joins our lab node from Node.js.

The same package Pexip's apps are built on, unmodified, with standard npm
implementations of the browser APIs it needs (``eventsource``, and
``@roamhq/wrtc`` for Google's libwebrtc). It joins ``meet`` and ``pinned`` (the
PIN flow), follows the roster, the lock state and chat through its signals,
places a real WebRTC call and leaves. Each check in ``pexip/client.mjs`` is one
test here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.conformance import SETUP_TIMEOUT_S, judge, labnode, run_node, steps_in

# The first test also pays for a first-time npm install (not part of the budget).
pytestmark = pytest.mark.timeout(SETUP_TIMEOUT_S)

SCRIPT = "client.mjs"
TOKEN_LIFETIME_S = 6


@pytest.fixture(scope="module")
def labnode_url() -> Iterator[str]:
    # A short token lifetime so the client's own refresh cycle (every third of
    # the lifetime) runs several times within the scenario.
    with labnode("--token-lifetime", str(TOKEN_LIFETIME_S)) as url:
        yield url


@pytest.fixture(scope="module")
def outcomes(pexip_workdir: Path, labnode_url: str) -> dict[str, Any]:
    steps, _stderr = run_node(pexip_workdir, SCRIPT, [labnode_url], env_shims=True, timeout=90)
    return steps


@pytest.mark.media
@pytest.mark.parametrize("step", steps_in(SCRIPT))
def test_pexip_infinity_client_against_labnode(step: str, outcomes: dict[str, Any]) -> None:
    judge(step, outcomes)
