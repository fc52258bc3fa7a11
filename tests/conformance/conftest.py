"""Fixtures for the Pexip conformance checks: Pexip's packages, and our lab node."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.conformance import prepare_workdir


@pytest.fixture(scope="session")
def pexip_workdir() -> Path:
    return prepare_workdir()
