"""``python -m bench``: run every ``bench/*_bench.py`` in one go, one process each.

Each benchmark module exposes ``main(argv: list[str]) -> int``. The forms
already in the tree are accepted too: ``main()`` reading ``sys.argv``, sync
or ``async``, returning ``None``. Each module runs in its own child process
because benchmarks patch process-wide state (aioice's host addresses,
aiortc's codec registry) and measure process CPU, which a neighbour would
spoil.

    python -m bench                      # all benchmarks, fast defaults
    python -m bench --only media         # one module (name without _bench)
    python -m bench --only media -- --long
    python -m bench --list
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    """Module names (``media_bench``...) of every benchmark in this package, sorted."""
    return sorted(info.name for info in pkgutil.iter_modules([str(_HERE)]) if info.name.endswith("_bench"))


def run_one(name: str, argv: list[str]) -> int:
    """Import ``bench.<name>`` and call its ``main`` in this process."""
    module = importlib.import_module(f"bench.{name}")
    entry = getattr(module, "main", None)
    if entry is None:
        print(f"bench.{name}: no main() to run", file=sys.stderr)
        return 2
    sys.argv = [f"bench.{name}", *argv]
    takes_argv = bool(inspect.signature(entry).parameters)
    result = entry(argv) if takes_argv else entry()
    if inspect.isawaitable(result):
        result = asyncio.run(_awaited(result))
    return int(result or 0)


async def _awaited(awaitable: object) -> object:
    return await awaitable  # type: ignore[misc]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], help="run only this benchmark (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds allowed per benchmark")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="arguments passed to each benchmark after --")
    args = parser.parse_args(argv)
    rest = [a for a in args.rest if a != "--"] if args.rest else []
    if args.child:
        return run_one(args.child, rest)
    names = discover()
    if args.list:
        print("\n".join(name.removesuffix("_bench") for name in names))
        return 0
    if args.only:
        wanted = {n if n.endswith("_bench") else f"{n}_bench" for n in args.only}
        unknown = wanted - set(names)
        if unknown:
            print(
                f"unknown benchmark(s): {', '.join(sorted(unknown))}; have {', '.join(names)}",
                file=sys.stderr,
            )
            return 2
        names = [n for n in names if n in wanted]
    failures: list[str] = []
    env = dict(os.environ, SDL_VIDEODRIVER=os.environ.get("SDL_VIDEODRIVER", "dummy"))
    for name in names:
        print(f"=== {name.removesuffix('_bench')} ===", flush=True)
        started = time.monotonic()
        try:
            code = subprocess.run(
                [sys.executable, "-m", "bench", "--child", name, "--", *rest],
                cwd=_HERE.parent,
                env=env,
                timeout=args.timeout,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            code = -1
            print(f"{name}: stopped after {args.timeout:.0f} s", file=sys.stderr)
        print(
            f"--- {name.removesuffix('_bench')}: exit {code}, {time.monotonic() - started:.1f} s", flush=True
        )
        if code != 0:
            failures.append(name)
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
