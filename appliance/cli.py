"""The ``appliance`` command line.

Every failure the user can fix prints one line saying what to do and exits
non-zero; set ``APPLIANCE_DEBUG=1`` for the traceback. Commands are declared
here by module path and only the one being run is imported: the demo and the
lab node pull in aiohttp, aiortc, PyAV, numpy and pygame, which a room box
should not load (seconds on a Pi) to print a version, check a site file or
list profiles.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Protocol

from appliance import __version__
from appliance.errors import ApplianceError


class _Command(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


# name -> (module that provides add_arguments(parser) and run(args), help text)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("appliance.services.run_cli", "run the room: join the site's meeting and stay in it"),
    "needs-attention": ("appliance.services.attention_cli", "say that the room daemon gave up restarting"),
    "config": ("appliance.config.cli", "check a site configuration file"),
    "profiles": ("appliance.config.profile_cli", "list and show hardware profiles"),
    "site-import": ("appliance.config.bootpart_cli", "take in the boot partition's site file (image boot)"),
    "labnode": ("appliance.labnode.cli", "run the built-in lab conferencing node"),
    "demo": ("appliance.ui.demo_cli", "start the lab node and join it with real media"),
    "doctor": ("appliance.services.doctor", "check that this machine has what the hardware profile expects"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the arguments of ``command`` only (the others stay unimported).

    ``appliance --help`` needs each command's name and help text, not its
    options; ``appliance demo --help`` loads the demo's module for its own.
    """
    parser = argparse.ArgumentParser(
        prog="appliance",
        description="Boot-to-call video-conferencing room appliance for Pexip Infinity.",
    )
    parser.add_argument("--version", action="version", version=f"appliance {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        subparser = sub.add_parser(name, help=help_text, description=help_text)
        subparser.set_defaults(_module=module_name)
        if name == command:
            module = _load(module_name)
            if module is not None:
                module.add_arguments(subparser)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``: the first word that is not an option.

    The top-level options (``--help``, ``--version``) take no value, so the
    first non-option word is the command, if there is one.
    """
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def _load(module_name: str) -> _Command | None:
    try:
        return importlib.import_module(module_name)  # type: ignore[return-value]
    except ModuleNotFoundError as exc:
        if exc.name == module_name:  # that layer is not part of this build yet
            return None
        raise


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(chosen_command(argv))
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    module = _load(args._module)
    if module is None:
        print(f"appliance: '{args.command}' is not available in this build", file=sys.stderr)
        return 2
    try:
        return module.run(args)
    except KeyboardInterrupt:
        return 130
    except ApplianceError as exc:
        if os.environ.get("APPLIANCE_DEBUG"):
            raise
        print(f"appliance {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
