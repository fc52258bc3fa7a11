"""``appliance config check FILE``: validate a site file before it reaches a room."""

from __future__ import annotations

import argparse
from pathlib import Path

from appliance.config.profile import load_profile
from appliance.config.site import load_site


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="validate a site configuration file and its hardware profile")
    check.add_argument("file", type=Path, help="site configuration (TOML)")


def run(args: argparse.Namespace) -> int:
    site = load_site(args.file)
    profile = load_profile(site.profile)
    pin = "set" if site.secrets.pin else ("empty (join as Guest)" if site.secrets.pin == "" else "none")
    print(f"{args.file}: OK")
    print(f"  node        {site.node.url}  (TLS verification {'on' if site.node.verify_tls else 'OFF'})")
    print(f"  conference  {site.conference.alias}  as {site.conference.display_name!r}")
    conference = site.conference
    bandwidth = f"{conference.bandwidth_in}/{conference.bandwidth_out} kbps in/out"
    print(f"  call type   {conference.call_type}  {bandwidth}")
    print(f"  PIN         {pin}")
    print(f"  join        auto_join={site.join.auto_join} rejoin={site.join.rejoin.value}")
    print(f"  profile     {profile.name}  ({profile.file})")
    return 0
