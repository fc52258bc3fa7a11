"""Level 1: Pexip's own REST wrappers judge our lab node's responses.

``@pexip/infinity-api`` (Apache-2.0, on npm) is what Pexip's current web apps
use to talk to a Conferencing Node: one wrapper per endpoint, each validating
the response against Pexip's JSON Schemas and throwing on any mismatch. The
scenario in ``pexip/scenario.mjs`` runs those wrappers against ``appliance
labnode --no-media`` (calls with real SDP are levels 2 and 3); each step is one
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

SCRIPT = "scenario.mjs"


@pytest.fixture(scope="module")
def labnode_url() -> Iterator[str]:
    with labnode("--no-media") as url:
        yield url


@pytest.fixture(scope="module")
def outcomes(pexip_workdir: Path, labnode_url: str) -> dict[str, Any]:
    steps, _stderr = run_node(pexip_workdir, SCRIPT, [labnode_url], env_shims=False, timeout=60)
    return steps


@pytest.mark.parametrize("step", steps_in(SCRIPT))
def test_pexip_infinity_api_accepts_labnode_response(step: str, outcomes: dict[str, Any]) -> None:
    judge(step, outcomes)
