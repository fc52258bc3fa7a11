"""``appliance profiles list|show NAME``: what hardware sets this build supports."""

from __future__ import annotations

import argparse

import tomli_w

from appliance.config.profile import list_profiles, load_profile


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="profiles_command", metavar="ACTION", required=True)
    sub.add_parser("list", help="list the hardware profiles found")
    show = sub.add_parser("show", help="print a profile resolved with its defaults (TOML)")
    show.add_argument("name", help="profile name (see 'list') or path to a profile file")


def run(args: argparse.Namespace) -> int:
    if args.profiles_command == "list":
        for name, path in list_profiles().items():
            profile = load_profile(path)
            print(f"{name:<16} {profile.description}")
        return 0
    profile = load_profile(args.name)
    print(f"# {profile.name}: resolved from {profile.file}")
    print(tomli_w.dumps(profile.to_dict()), end="")
    return 0
