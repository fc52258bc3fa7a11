"""Site file tables for being called and resting: [registration], [answer], [standby]."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.cli import main
from appliance.config.incoming import DuringMeeting
from appliance.config.site import load_site
from appliance.errors import ConfigError

MINIMAL = """
[appliance]
profile = "ci-virtual"
[node]
address = "node.example.com"
[conference]
alias = "meet"
display_name = "Room"
"""


def test_site_incoming_defaults_when_the_tables_are_absent(write_site) -> None:
    site = load_site(write_site(MINIMAL))
    assert site.registration is None
    assert site.answer.auto_answer is False
    assert site.answer.during_meeting is DuringMeeting.REJECT
    assert site.standby.after_meeting is True
    assert site.standby.idle_minutes == 10.0


def test_site_incoming_answer_table_is_read(write_site) -> None:
    text = MINIMAL + (
        '[answer]\nauto_answer = true\ndelay_s = 3\nmuted = true\nduring_meeting = "leave-and-answer"\n'
        'allow = ["*@example.com"]\ndeny = ["spam*"]\n'
    )
    answer = load_site(write_site(text)).answer
    assert (answer.auto_answer, answer.delay_s, answer.muted) == (True, 3.0, True)
    assert answer.during_meeting is DuringMeeting.LEAVE_AND_ANSWER
    assert (answer.allow, answer.deny) == (("*@example.com",), ("spam*",))


def test_site_incoming_answer_delay_over_fifty_is_refused(write_site) -> None:
    with pytest.raises(ConfigError, match=r"\[answer\] delay_s: expected a number from 0 to 50, found 60"):
        load_site(write_site(MINIMAL + "[answer]\ndelay_s = 60\n"))


def test_site_incoming_registration_reads_the_password_from_its_secrets_file(
    write_site, tmp_path: Path
) -> None:
    secrets = tmp_path / "reg.secrets.toml"
    secrets.write_text('registration_password = "room-1-secret"\n')
    secrets.chmod(0o600)
    site = load_site(
        write_site(MINIMAL + '[registration]\nalias = "room-1"\nsecrets_file = "reg.secrets.toml"\n')
    )
    assert site.registration is not None
    assert (site.registration.alias, site.registration.username) == ("room-1", "room-1")
    assert site.registration_password == "room-1-secret"
    assert "room-1-secret" not in repr(site)


def test_site_incoming_registration_without_password_says_where_to_put_it(write_site) -> None:
    with pytest.raises(ConfigError, match="registration_password is missing"):
        load_site(write_site(MINIMAL + '[registration]\nalias = "room-1"\n'))


def test_site_incoming_standby_unknown_key_is_refused(write_site) -> None:
    with pytest.raises(ConfigError, match=r"\[standby\] idle: unknown key"):
        load_site(write_site(MINIMAL + "[standby]\nidle = 5\n"))


def test_site_incoming_config_check_shows_registration_and_policy_never_the_password(
    examples_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "check", str(examples_copy / "rpi4-room.toml")]) == 0
    out = capsys.readouterr().out
    assert "registration room402.device@example.com  as user 'room402', password set" in out
    assert "auto_answer=True after 3 s" in out
    assert "change-me-room402" not in out
