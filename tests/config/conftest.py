from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "site"


@pytest.fixture
def examples_copy(tmp_path: Path) -> Path:
    """The example site files as an installer leaves them: secrets files chmod 600."""
    target = tmp_path / "site"
    shutil.copytree(EXAMPLES, target)
    for secrets in target.glob("*.secrets.toml"):
        secrets.chmod(0o600)
    return target


@pytest.fixture
def write_site(tmp_path: Path):
    def write(text: str, name: str = "site.toml", mode: int = 0o644) -> Path:
        path = tmp_path / name
        path.write_text(text)
        path.chmod(mode)
        return path

    return write


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    """Commands run in-process set up logging on the root logger; undo it for the next test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
