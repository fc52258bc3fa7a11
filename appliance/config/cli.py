"""``appliance config check FILE``: validate a site file before it reaches a room.

The check starts up the way the daemon will (logging at the site file's
``log_level`` unless ``--log-level`` overrides it), so what it prints is what a
room would run with. Its log lines go to stderr: stdout is the summary a
technician reads or a provisioning script parses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance import log as applog
from appliance.config.profile import load_profile
from appliance.config.site import SiteConfig, load_site

logger = applog.get_logger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate a site configuration file and its hardware profile")
    check.add_argument("file", type=Path, help="site configuration (TOML)")
    add_log_level_argument(check)


def add_log_level_argument(parser: argparse.ArgumentParser) -> None:
    """``--log-level`` for a command that takes a site file: unset means the file's level."""
    parser.add_argument(
        "--log-level",
        choices=applog.LEVELS,
        default=None,
        help="log level, overriding the site file's [appliance] log_level",
    )


def setup_logging(site: SiteConfig, override: str | None, *, stream: object = None) -> str:
    """Start logging at ``override`` or else the site file's level; returns the level used."""
    level = override or site.log_level
    applog.setup(level, stream=stream)
    return level


def run(args: argparse.Namespace) -> int:
    site = load_site(args.file)
    level = setup_logging(site, args.log_level, stream=sys.stderr)
    profile = load_profile(site.profile)
    context = {"file": str(args.file), "profile": profile.name, "node": site.node.url}
    logger.debug("site file resolved", extra={"context": context})
    if not site.node.verify_tls:
        logger.warning("TLS verification of the node is off", extra={"context": context})
    pin = "set" if site.secrets.pin else ("empty (join as Guest)" if site.secrets.pin == "" else "none")
    source = "from --log-level" if args.log_level else "from the site file"
    if site.setup_missing:
        print(f"{args.file}: OK, but not set up: it lacks {', '.join(site.setup_missing)}")
        print("  (appliance run shows its set-up screen until these are filled in)")
    else:
        print(f"{args.file}: OK")
    print(f"  node        {site.node.url}  (TLS verification {'on' if site.node.verify_tls else 'OFF'})")
    print(f"  conference  {site.conference.alias}  as {site.conference.display_name!r}")
    conference = site.conference
    bandwidth = f"{conference.bandwidth_in}/{conference.bandwidth_out} kbps in/out"
    print(f"  call type   {conference.call_type}  {bandwidth}")
    print(f"  PIN         {pin}")
    join = site.join
    schedule = f" schedule={join.schedule.text!r}" if join.schedule else ""
    print(f"  join        auto_join={join.auto_join} rejoin={join.rejoin.value}{schedule}")
    if site.registration is not None:
        registration = site.registration
        print(f"  registration {registration.alias}  as user {registration.username!r}, password set")
    answer = site.answer
    delay = f" after {answer.delay_s:g} s" if answer.auto_answer else ""
    print(
        f"  answer      auto_answer={answer.auto_answer}{delay} muted={answer.muted} "
        f"during_meeting={answer.during_meeting.value}"
    )
    rest = site.standby
    idle = f"{rest.idle_minutes:g} min" if rest.idle_minutes else "never"
    print(f"  standby     after_meeting={rest.after_meeting} idle={idle}")
    print(f"  profile     {profile.name}  ({profile.file})")
    print(f"  log level   {level}  ({source})")
    return 0
