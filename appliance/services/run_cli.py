"""``appliance run --site FILE``: the room daemon (docs/daemon.md); systemd starts it at boot."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from appliance.config.site import load_site
from appliance.errors import ConfigError
from appliance.log import setup


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", required=True, type=Path, metavar="FILE", help="the room's site file")
    parser.add_argument(
        "--profile",
        default=os.environ.get("APPLIANCE_PROFILE", "ci-virtual"),
        help="hardware profile used only while no site file can be read (default: $APPLIANCE_PROFILE "
        "or ci-virtual)",
    )
    parser.add_argument("--log-level", default=None, help="override the site file's log_level")


def _level(site_path: Path, override: str | None) -> str:
    if override:
        return override
    try:
        return load_site(site_path).log_level
    except (ConfigError, OSError):
        return "info"


def run(args: argparse.Namespace) -> int:
    setup(_level(args.site, args.log_level), stream=sys.stdout)
    from appliance.services.daemon import Daemon  # media and PexRTC load only for this command

    return asyncio.run(Daemon(args.site, fallback_profile=args.profile).run())
