"""``appliance site-import``: take the boot partition's site file in at boot (appliance-site.service).

Prints one line saying what was imported, or the reason it was refused, on
stderr and on the screen, and exits non-zero so the appliance unit (which
requires this one) does not start on a wrong configuration.
"""

from __future__ import annotations

import argparse
import pwd
import sys
from pathlib import Path

from appliance.config.bootpart import import_site, read_model, show_on_screen
from appliance.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--boot", type=Path, default=Path("/boot/firmware"), help="the boot partition")
    parser.add_argument("--out", type=Path, default=Path("/run/appliance"), help="private copy (site.toml)")
    parser.add_argument(
        "--state", type=Path, default=Path("/var/lib/appliance"), help="where the detected board is kept"
    )
    parser.add_argument("--screen", type=Path, help="text console to show a refusal on (e.g. /dev/tty1)")
    parser.add_argument("--owner", help="user that will read the copy (files stay mode 0600)")
    parser.add_argument("--model", help="board model instead of the device tree's (tests)")


def run(args: argparse.Namespace) -> int:
    owner = None
    if args.owner:
        entry = pwd.getpwnam(args.owner)
        owner = (entry.pw_uid, entry.pw_gid)
    model = args.model if args.model is not None else read_model()
    try:
        imported = import_site(args.boot, args.out, args.state, model=model, owner=owner)
    except ConfigError as exc:
        print(f"appliance site-import: {exc}", file=sys.stderr)
        if args.screen:
            show_on_screen(
                args.screen,
                [
                    "This room is not configured correctly:",
                    "",
                    str(exc),
                    "",
                    f"Fix the file on the SD card's boot partition ({args.boot}) and restart.",
                ],
            )
        return 1
    site = imported.site
    print(
        f"appliance site-import: {imported.file}: {site.conference.alias} on {site.node.url}, "
        f"profile {imported.profile} ({imported.profile_source}; board {model!r})"
    )
    return 0
