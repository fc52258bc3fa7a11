"""``appliance doctor`` checks for being called and for the display: registration and HDMI-CEC.

Kept beside :mod:`appliance.services.doctor` (which runs them) because they
belong to docs/being-called.md: the registration check really registers the
site's alias on the node once and releases it again, so a wrong password or
an alias the node does not know shows up before anybody tries to call the
room; the CEC check opens the profile's CEC adapter with ``cec-ctl`` and asks
the TV for its power status.
"""

from __future__ import annotations

import asyncio
from typing import Final

from appliance.config.profile import HwProfile
from appliance.config.site import SiteConfig
from appliance.errors import ApplianceError
from appliance.hw.cec import open_display
from appliance.infinity.errors import InvalidCredentials, NodeUnreachable, NotFound
from appliance.infinity.options import ClientOptions
from appliance.infinity.registration import Registration, RegistrationCredentials
from appliance.services.doctor import Verdict

REGISTER_DEADLINE_S: Final = 15.0


async def check_cec(profile: HwProfile) -> Verdict:
    """The profile's CEC adapter is there and the TV answers (a TV without CEC only warns)."""
    spec = profile.cec
    display = open_display(spec)
    if display is None:
        return Verdict("cec", True, "switched off in the profile ([cec] driver = 'none')", required=False)
    try:
        status = await display.probe()
    finally:
        await display.close()
    where = f"{spec.driver} {spec.device}" + (" (fake TV)" if display.fake is not None else "")
    if not status.adapter:
        return Verdict(
            "cec",
            False,
            f"{where}: {status.detail}",
            required=False,
            remedy="install v4l-utils and check the device, or set [cec] driver = 'none' in the profile",
        )
    if not status.tv_answers:
        return Verdict(
            "cec",
            False,
            f"{where}: adapter at {status.physical_address or '?'}, the TV does not answer ({status.detail})",
            required=False,
            remedy="turn on HDMI-CEC in the TV's menu (Anynet+, Bravia Sync, SimpLink...)",
        )
    return Verdict("cec", True, f"{where}: adapter at {status.physical_address}, the TV answers")


async def check_registration(site: SiteConfig) -> Verdict:
    """Register the site's ``[registration]`` alias once (and release it): can the room be called?"""
    config = site.registration
    if config is None:
        return Verdict(
            "registration",
            True,
            "no [registration] in the site file: the room cannot be called",
            required=False,
        )
    if not site.node.url or not site.registration_password:
        return Verdict(
            "registration", False, "no node address or no registration_password", remedy="fill them in"
        )
    options = ClientOptions(
        verify_tls=site.node.verify_tls, ca_file=str(site.node.ca_file) if site.node.ca_file else None
    )
    registration = Registration(
        site.node.url,
        config.alias,
        RegistrationCredentials(config.username, site.registration_password),
        options=options,
    )
    where = f"{config.alias} on {site.node.url}"
    try:
        async with asyncio.timeout(REGISTER_DEADLINE_S):
            grant = await registration.register()
    except InvalidCredentials:
        return Verdict(
            "registration",
            False,
            f"{where}: the node refused the user name or password",
            remedy=(
                f"check registration_password in the secrets file and user {config.username!r} on the node"
            ),
        )
    except NotFound:
        return Verdict(
            "registration",
            False,
            f"{where}: the node has no such device alias",
            remedy="add the device alias on the node, or fix [registration] alias",
        )
    except NodeUnreachable as exc:
        return Verdict(
            "registration", False, f"{where}: {exc}", remedy="check [node] address and the network"
        )
    except (ApplianceError, TimeoutError) as exc:
        return Verdict("registration", False, f"{where}: {exc or 'no answer in time'}")
    finally:
        await registration.close()
    return Verdict(
        "registration", True, f"{where}: registered (token valid {grant.expires:.0f} s) and released"
    )
