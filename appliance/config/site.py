"""The site configuration: which node, which meeting, how to join and rejoin.

One TOML file per room (``/etc/appliance/site.toml`` on a device), read once
at start-up into frozen dataclasses. Everything is validated here so the
daemon never meets a half-valid setting at 3 a.m.; see README's
"Configuration reference" for every key.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from appliance.config.array import read_speaker_tracking
from appliance.config.incoming import (
    AnswerSettings,
    RegistrationConfig,
    StandbyConfig,
    read_answer,
    read_registration,
    read_standby,
)
from appliance.config.profile import find_profile, load_profile, profile_reference
from appliance.config.reader import Table, load_toml
from appliance.config.schedule import Schedule, ScheduleError, parse_schedule
from appliance.config.secrets import Secrets, check_pin, check_private, load_secrets
from appliance.errors import ConfigError
from appliance.log import LEVELS, register_secret
from appliance.media.call_type import CallType

# Languages the kiosk ships catalogues for (appliance/ui/locale; a UI test keeps the two lists equal).
KIOSK_LANGUAGES = ("en", "de")

# PexRTC's makeCall call types (rtmp/stream publish the camera to the URL the node returns).
CALL_TYPES = tuple(call_type.value for call_type in CallType)


class RejoinPolicy(enum.StrEnum):
    ALWAYS = "always"  # rejoin after any disconnect, including a Host's
    ON_ERROR = "on-error"  # rejoin after network or node failures only
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class NodeConfig:
    url: str  # normalised: scheme://host[:port], no path
    verify_tls: bool = True
    ca_file: Path | None = None
    proxy_user: str | None = None


@dataclass(frozen=True, slots=True)
class ConferenceConfig:
    alias: str
    display_name: str
    call_type: str = "video"
    bandwidth_in: int = 1280
    bandwidth_out: int = 1280
    extension: str | None = None
    call_tag: str = ""
    client_id: str = "appliance"
    # the single sign-on provider to choose when the meeting offers several (its name or UUID)
    identity_provider: str | None = None


@dataclass(frozen=True, slots=True)
class JoinPolicy:
    auto_join: bool = True
    rejoin: RejoinPolicy = RejoinPolicy.ALWAYS
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 60.0
    max_attempts: int = 0  # 0 = keep trying for ever
    # join and rejoin only inside these windows; outside them the room rests in standby
    schedule: Schedule | None = None
    # after the meeting ended (disconnectAll, last Host left): rest this long before joining again
    after_end_s: float = 60.0
    # inbound media silent this long while signalling is fine: the media recovery starts
    media_timeout_s: float = 3.0


@dataclass(frozen=True, slots=True)
class SiteConfig:
    file: Path
    profile: str
    node: NodeConfig
    conference: ConferenceConfig
    join: JoinPolicy
    log_level: str = "info"
    room_name: str = ""
    language: str = "en"  # the kiosk's language (docs/kiosk.md, "Languages")
    secrets: Secrets = field(default_factory=Secrets)
    # Being called and resting (docs/being-called.md): appliance/config/incoming.py.
    registration: RegistrationConfig | None = None
    registration_password: str | None = field(default=None, repr=False)
    answer: AnswerSettings = field(default_factory=AnswerSettings)
    standby: StandbyConfig = field(default_factory=StandbyConfig)
    # [camera] speaker_tracking: start with the camera following the talker (docs/microphone-array.md)
    speaker_tracking: bool = False

    @property
    def setup_missing(self) -> tuple[str, ...]:
        """What a room set up from this file still needs before it can join (the set-up screen)."""
        missing = []
        if not self.node.url:
            missing.append("[node] address")
        if not self.conference.alias:
            missing.append("[conference] alias")
        if not self.conference.display_name:
            missing.append("[conference] display_name")
        return tuple(missing)


def load_site(path: Path | str) -> SiteConfig:
    """Read and validate a site file (and its secrets file, if it names one)."""
    path = Path(path)
    name = str(path)
    top = Table(name, "", load_toml(path))

    app = top.table("appliance")
    assert app is not None
    profile = profile_reference(app.text("profile", non_empty=True), path.parent)
    try:
        find_profile(profile)
    except ConfigError as exc:
        raise app.error("profile", str(exc)) from None
    log_level = app.text("log_level", "info", choices=LEVELS)
    room_name = app.text("room_name", "")
    language = app.text("language", "en", choices=KIOSK_LANGUAGES)
    app.finish()

    node = _node(top)
    conference, inline_pin, secrets_file = _conference(top)
    join = _join(top)
    registration = read_registration(top, path.parent)
    answer = read_answer(top)
    standby = read_standby(top)
    speaker_tracking = read_speaker_tracking(top)
    top.finish()
    if speaker_tracking and load_profile(profile).tracking is None:
        raise ConfigError(
            f"{name}: [camera] speaker_tracking: the hardware profile {profile!r} declares no "
            "[tracking] seat zones to follow",
            file=name,
            key="camera.speaker_tracking",
        )

    secrets = Secrets()
    if secrets_file is not None:
        resolved = secrets_file if secrets_file.is_absolute() else path.parent / secrets_file
        secrets = load_secrets(resolved)
    elif inline_pin is not None:
        # A PIN written in the site file makes the site file a secrets file.
        check_private(path)
        register_secret(inline_pin)
        secrets = Secrets(pin=inline_pin)

    registration_password = _registration_password(registration, secrets, top)
    return SiteConfig(
        file=path,
        profile=profile,
        node=node,
        conference=conference,
        join=join,
        log_level=log_level,
        room_name=room_name,
        language=language,
        secrets=secrets,
        registration=registration,
        registration_password=registration_password,
        answer=answer,
        standby=standby,
        speaker_tracking=speaker_tracking,
    )


def _registration_password(
    registration: RegistrationConfig | None, secrets: Secrets, top: Table
) -> str | None:
    """The password of the registered alias: its own secrets file, or the conference's."""
    if registration is None:
        return None
    if registration.secrets_file is not None:
        secrets = load_secrets(registration.secrets_file)
    if not secrets.registration_password:
        raise top.error(
            "registration",
            "registration_password is missing: put it in the secrets file "
            "([registration] secrets_file, or [conference] secrets_file)",
        )
    return secrets.registration_password


def normalise_node_address(address: str) -> str:
    """``host``, ``host:port`` or ``http(s)://host[:port]`` → ``scheme://host[:port]``.

    A bare host means HTTPS, as in PexRTC's ``makeCall(node, ...)``.
    """
    text = address.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"the scheme is {parts.scheme}://, not http:// or https://")
    if not parts.hostname:
        raise ValueError("it has no host name")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("it has a path")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port is not a number from 1 to 65535") from None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def _node(top: Table) -> NodeConfig:
    table = top.table("node", required=False)
    if table is None:  # not set up yet: the daemon shows its set-up screen
        return NodeConfig(url="")
    address = table.text("address", non_empty=True)
    try:
        url = normalise_node_address(address)
    except ValueError as exc:
        raise table.invalid(
            "address", "a node address like node.example.com or https://host:port", f"{address!r} ({exc})"
        ) from None
    verify_tls = table.flag("verify_tls", True)
    ca_text = table.text("ca_file", None)
    proxy_user = table.text("proxy_user", None)
    table.finish()
    ca_file = None
    if ca_text is not None:
        ca_file = Path(ca_text)
        if not ca_file.is_absolute():
            ca_file = Path(table.file).parent / ca_file
        if not ca_file.is_file():
            raise table.invalid("ca_file", "a CA bundle file", f"no file at {ca_file}")
    return NodeConfig(url=url, verify_tls=verify_tls, ca_file=ca_file, proxy_user=proxy_user)


def _conference(top: Table) -> tuple[ConferenceConfig, str | None, Path | None]:
    table = top.table("conference", required=False)
    if table is None:  # no meeting configured yet: the daemon shows its set-up screen
        return ConferenceConfig(alias="", display_name=""), None, None
    alias = table.text("alias", non_empty=True)
    display_name = table.text("display_name", non_empty=True)
    call_type = table.text("call_type", "video", choices=CALL_TYPES)
    bandwidth = table.integer("bandwidth_kbps", None, min=64, max=20000)
    default_bw = bandwidth if bandwidth is not None else 1280
    bandwidth_in = table.integer("bandwidth_in_kbps", default_bw, min=64, max=20000)
    bandwidth_out = table.integer("bandwidth_out_kbps", default_bw, min=64, max=20000)
    extension = table.text("extension", None)
    identity_provider = table.text("identity_provider", None)
    call_tag = table.text("call_tag", "")
    client_id = table.text("client_id", "appliance")
    pin = table.text("pin", None)
    if pin is not None:
        check_pin(table, pin)
    secrets_text = table.text("secrets_file", None)
    table.finish()
    if pin is not None and secrets_text is not None:
        raise table.invalid("secrets_file", "either pin or secrets_file, not both", "both")
    conference = ConferenceConfig(
        alias=alias,
        display_name=display_name,
        call_type=call_type,
        bandwidth_in=bandwidth_in,
        bandwidth_out=bandwidth_out,
        extension=extension or None,
        identity_provider=identity_provider or None,
        call_tag=call_tag,
        client_id=client_id,
    )
    return conference, pin, Path(secrets_text) if secrets_text else None


def _join(top: Table) -> JoinPolicy:
    table = top.table("join", required=False)
    if table is None:
        return JoinPolicy()
    policy = JoinPolicy(
        auto_join=table.flag("auto_join", True),
        rejoin=RejoinPolicy(table.text("rejoin", "always", choices=[p.value for p in RejoinPolicy])),
        backoff_initial_s=table.number("backoff_initial_s", 1.0, min=0.0, exclusive_min=True),
        backoff_max_s=table.number("backoff_max_s", 60.0, min=0.0, exclusive_min=True),
        max_attempts=table.integer("max_attempts", 0, min=0),
        schedule=_schedule(table),
        after_end_s=table.number("after_end_s", 60.0, min=0.0),
        media_timeout_s=table.number("media_timeout_s", 3.0, min=0.5, max=60.0),
    )
    table.finish()
    if policy.backoff_max_s < policy.backoff_initial_s:
        raise table.invalid(
            "backoff_max_s",
            f"a number >= backoff_initial_s ({policy.backoff_initial_s:g})",
            f"{policy.backoff_max_s:g}",
        )
    return policy


def _schedule(table: Table) -> Schedule | None:
    text = table.text("schedule", None)
    if text is None:
        return None
    try:
        return parse_schedule([part for part in text.split(";") if part.strip()])
    except ScheduleError as exc:
        raise table.invalid(
            "schedule", "windows like 'weekdays 07:00-19:00; sat 09:00-12:00'", str(exc)
        ) from None
