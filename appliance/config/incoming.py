"""Site-file tables for being called and resting: ``[registration]``, ``[answer]``, ``[standby]``.

Kept apart from :mod:`appliance.config.site` because they belong to one
feature (docs/being-called.md) and are read the same strict way: every key
typed and bounded, unknown keys refused, the error naming file, table, key,
what was expected and what was found. The password of the registration is
never in the site file; it comes from the secrets file
(``registration_password``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from appliance.config.reader import Table

MAX_ANSWER_DELAY_S: Final = 50.0


class DuringMeeting(enum.StrEnum):
    """What a call arriving during a meeting does (the meeting is never left by itself)."""

    REJECT = "reject"  # refused at once; the people in the meeting are not disturbed
    LEAVE_AND_ANSWER = "leave-and-answer"  # rings; a person's Answer leaves the meeting and joins the call


@dataclass(frozen=True, slots=True)
class AnswerSettings:
    """``[answer]``: whether and how the room answers a call by itself."""

    auto_answer: bool = False
    delay_s: float = 0.0
    muted: bool = False
    during_meeting: DuringMeeting = DuringMeeting.REJECT
    # Glob patterns (fnmatch, case-insensitive) matched against the caller's
    # display name and the conference alias.
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.delay_s <= MAX_ANSWER_DELAY_S:
            raise ValueError(f"AnswerSettings.delay_s: expected 0 to {MAX_ANSWER_DELAY_S:g} seconds")


@dataclass(frozen=True, slots=True)
class RegistrationConfig:
    """``[registration]``: the alias the room registers to be called on."""

    alias: str
    username: str
    # None: the [conference] secrets file holds registration_password.
    secrets_file: Path | None = None


@dataclass(frozen=True, slots=True)
class StandbyConfig:
    """``[standby]``: when the room rests, and the camera presets for rest and wake."""

    after_meeting: bool = True
    idle_minutes: float = 10.0  # 0 = never by idleness
    privacy_preset: int | None = None  # PTZ preset while resting (the lens facing away)
    home_preset: int | None = None  # PTZ preset on wake (the room's default view)


def read_answer(top: Table) -> AnswerSettings:
    table = top.table("answer", required=False)
    if table is None:
        return AnswerSettings()
    settings = AnswerSettings(
        auto_answer=table.flag("auto_answer", False),
        delay_s=table.number("delay_s", 0.0, min=0, max=int(MAX_ANSWER_DELAY_S)),
        muted=table.flag("muted", False),
        during_meeting=DuringMeeting(
            table.text("during_meeting", "reject", choices=[d.value for d in DuringMeeting])
        ),
        allow=tuple(table.texts("allow", [])),
        deny=tuple(table.texts("deny", [])),
    )
    table.finish()
    return settings


def read_registration(top: Table, site_dir: Path) -> RegistrationConfig | None:
    table = top.table("registration", required=False)
    if table is None:
        return None
    alias = table.text("alias", non_empty=True)
    username = table.text("username", alias) or alias
    secrets_text = table.text("secrets_file", None)
    table.finish()
    secrets_file = None
    if secrets_text:
        secrets_file = Path(secrets_text)
        if not secrets_file.is_absolute():
            secrets_file = site_dir / secrets_file
    return RegistrationConfig(alias=alias, username=username, secrets_file=secrets_file)


def read_standby(top: Table) -> StandbyConfig:
    table = top.table("standby", required=False)
    if table is None:
        return StandbyConfig()
    config = StandbyConfig(
        after_meeting=table.flag("after_meeting", True),
        idle_minutes=table.number("idle_minutes", 10.0, min=0, max=24 * 60),
        privacy_preset=table.integer("privacy_preset", None, min=0, max=255),
        home_preset=table.integer("home_preset", None, min=0, max=255),
    )
    table.finish()
    return config
