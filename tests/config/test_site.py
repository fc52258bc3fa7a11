"""Site configuration: what a room's site.toml may say, and how mistakes are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config.profile import load_profile
from appliance.config.site import RejoinPolicy, load_site, normalise_node_address
from appliance.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

MINIMAL = """
[appliance]
profile = "ci-virtual"
[node]
address = "node.example.com"
[conference]
alias = "meet"
display_name = "Room"
"""


def test_site_every_example_loads(examples_copy: Path) -> None:
    sites = sorted(p for p in examples_copy.glob("*.toml") if not p.name.endswith(".secrets.toml"))
    assert len(sites) >= 4
    for path in sites:
        assert load_site(path).conference.alias


def test_site_minimal_file_gets_documented_defaults(write_site) -> None:
    site = load_site(write_site(MINIMAL))
    assert site.node.url == "https://node.example.com"
    assert site.node.verify_tls is True
    assert site.conference.call_type == "video"
    assert (site.conference.bandwidth_in, site.conference.bandwidth_out) == (1280, 1280)
    assert site.join.auto_join is True
    assert site.join.rejoin is RejoinPolicy.ALWAYS
    assert site.secrets.pin is None
    assert site.log_level == "info"


def test_site_without_node_or_meeting_loads_as_not_set_up(write_site) -> None:
    site = load_site(write_site('[appliance]\nprofile = "ci-virtual"\n'))
    assert site.setup_missing == ("[node] address", "[conference] alias", "[conference] display_name")


def test_site_complete_file_needs_no_set_up(write_site) -> None:
    assert load_site(write_site(MINIMAL)).setup_missing == ()


def test_site_join_schedule_and_daemon_timers_are_read(write_site) -> None:
    text = MINIMAL + '[join]\nschedule = "weekdays 07:00-19:00"\nafter_end_s = 30\nmedia_timeout_s = 4\n'
    join = load_site(write_site(text)).join
    assert join.schedule is not None and join.schedule.text == "weekdays 07:00-19:00"
    assert (join.after_end_s, join.media_timeout_s) == (30.0, 4.0)


def test_site_bandwidth_kbps_sets_both_directions(write_site) -> None:
    site = load_site(write_site(MINIMAL + "bandwidth_kbps = 768\n"))
    assert (site.conference.bandwidth_in, site.conference.bandwidth_out) == (768, 768)


def test_site_identity_provider_is_read(write_site) -> None:
    site = load_site(write_site(MINIMAL + 'identity_provider = "Lab IdP"\n'))
    assert site.conference.identity_provider == "Lab IdP"


def test_site_secrets_file_supplies_the_pin(examples_copy: Path) -> None:
    site = load_site(examples_copy / "lab-pinned.toml")
    assert site.secrets.pin == "1234"


def test_site_secrets_repr_never_shows_the_pin(examples_copy: Path) -> None:
    site = load_site(examples_copy / "lab-pinned.toml")
    assert "1234" not in repr(site)


@pytest.mark.parametrize(
    ("address", "url"),
    [
        ("node.example.com", "https://node.example.com"),
        ("node.example.com:8443", "https://node.example.com:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://node.example.com/", "https://node.example.com"),
        ("[::1]:8080", "https://[::1]:8080"),
    ],
)
def test_site_node_address_is_normalised(address: str, url: str) -> None:
    assert normalise_node_address(address) == url


# Each broken file and the exact words its error must contain: the message is
# the product here, since a technician reads it on a device's console.
BROKEN = {
    "missing_alias": (
        MINIMAL.replace('alias = "meet"\n', ""),
        "[conference] alias: expected a string, found nothing (the key is required)",
    ),
    "bad_schedule": (
        MINIMAL + '[join]\nschedule = "weekdays 19:00-07:00"\n',
        "[join] schedule: expected windows like",
    ),
    "media_timeout_too_short": (
        MINIMAL + "[join]\nmedia_timeout_s = 0.1\n",
        "[join] media_timeout_s: expected a number from 0.5 to 60.0, found 0.1",
    ),
    "unknown_key": (
        MINIMAL + "bandwith_kbps = 512\n",
        "[conference] bandwith_kbps: unknown key",
    ),
    "bandwidth_wrong_type": (
        MINIMAL + 'bandwidth_kbps = "fast"\n',
        "[conference] bandwidth_kbps: expected a whole number from 64 to 20000, found 'fast'",
    ),
    "bandwidth_out_of_range": (
        MINIMAL + "bandwidth_kbps = 10\n",
        "[conference] bandwidth_kbps: expected a whole number from 64 to 20000, found 10",
    ),
    "bad_call_type": (
        MINIMAL + 'call_type = "hologram"\n',
        "[conference] call_type: expected one of 'video', 'audioonly', 'recvonly', 'recvonlyvideo', "
        "'presentation', 'screen', 'none', 'rtmp', 'stream', found 'hologram'",
    ),
    "bad_rejoin": (
        MINIMAL + '[join]\nrejoin = "sometimes"\n',
        "[join] rejoin: expected one of 'always', 'on-error', 'never', found 'sometimes'",
    ),
    "backoff_inverted": (
        MINIMAL + "[join]\nbackoff_initial_s = 10\nbackoff_max_s = 5\n",
        "[join] backoff_max_s: expected a number >= backoff_initial_s (10), found 5",
    ),
    "address_with_path": (
        MINIMAL.replace('"node.example.com"', '"https://node.example.com/webapp"'),
        "[node] address: expected a node address like node.example.com or https://host:port, "
        "found 'https://node.example.com/webapp' (it has a path)",
    ),
    "bad_log_level": (
        MINIMAL.replace('profile = "ci-virtual"', 'profile = "ci-virtual"\nlog_level = "loud"'),
        "[appliance] log_level: expected one of 'debug', 'info', 'warning', 'error', 'critical', found 'loud'",
    ),
    "pin_not_digits": (
        MINIMAL + 'pin = "12ab"\n',
        "[conference] pin: expected 4 to 20 digits, optionally ending in '#', "
        "found 4 characters, not all digits (value not shown)",
    ),
    "pin_too_short": (
        MINIMAL + 'pin = "123"\n',
        "[conference] pin: expected 4 to 20 digits, optionally ending in '#', found 3 digits (value not shown)",
    ),
    "pin_too_long": (
        MINIMAL + f'pin = "{"1" * 21}#"\n',
        "[conference] pin: expected 4 to 20 digits, optionally ending in '#', found 21 digits (value not shown)",
    ),
    "pin_and_secrets_file": (
        MINIMAL + 'pin = "1234"\nsecrets_file = "x.toml"\n',
        "[conference] secrets_file: expected either pin or secrets_file, not both, found both",
    ),
    "not_toml": ("[appliance\nprofile=", "not valid TOML"),
    "wrong_table_type": (
        "node = 5\n" + MINIMAL.replace('[node]\naddress = "node.example.com"\n', ""),
        "[node]: expected a table, found 5",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_site_broken_file_is_rejected_with_precise_message(case: str, write_site) -> None:
    text, expected = BROKEN[case]
    path = write_site(text, mode=0o600)
    with pytest.raises(ConfigError) as info:
        load_site(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    assert expected in message


def test_site_error_carries_file_key_expected_found(write_site) -> None:
    path = write_site(MINIMAL + "bandwidth_kbps = 10\n")
    with pytest.raises(ConfigError) as info:
        load_site(path)
    error = info.value
    assert (error.file, error.key) == (str(path), "conference.bandwidth_kbps")
    assert error.expected == "a whole number from 64 to 20000"
    assert error.found == "10"


def test_site_pin_error_never_shows_the_pin(write_site) -> None:
    path = write_site(MINIMAL + 'pin = "98x76"\n', mode=0o600)
    with pytest.raises(ConfigError) as info:
        load_site(path)
    assert "98x76" not in str(info.value)


def test_site_inline_pin_requires_a_private_site_file(write_site) -> None:
    path = write_site(MINIMAL + 'pin = "1234"\n', mode=0o644)
    with pytest.raises(ConfigError, match=r"readable by other users .* chmod 600"):
        load_site(path)


def test_site_empty_inline_pin_means_guest_without_pin(write_site) -> None:
    site = load_site(write_site(MINIMAL + 'pin = ""\n', mode=0o600))
    assert site.secrets.pin == ""


def test_site_missing_ca_file_is_reported(write_site) -> None:
    text = MINIMAL.replace(
        'address = "node.example.com"', 'address = "node.example.com"\nca_file = "nope.pem"'
    )
    with pytest.raises(
        ConfigError, match=r"\[node\] ca_file: expected a CA bundle file, found no file at .*nope.pem"
    ):
        load_site(write_site(text))


@pytest.mark.parametrize("pin", ["1234", "1234#", "9" * 20, ""])
def test_site_pins_infinity_accepts_are_accepted(write_site, pin: str) -> None:
    assert load_site(write_site(MINIMAL + f'pin = "{pin}"\n', mode=0o600)).secrets.pin == pin


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("bandwith_kbps = 512\n", "conference.bandwith_kbps"),
        ('ca_file = "nope.pem"\n', "node.ca_file"),
        ("[join]\nbackoff_initial_s = 10\nbackoff_max_s = 5\n", "join.backoff_max_s"),
    ],
)
def test_site_error_key_names_the_table_too(write_site, extra: str, key: str) -> None:
    text = MINIMAL + extra
    if extra.startswith("ca_file"):
        text = MINIMAL.replace('address = "node.example.com"\n', 'address = "node.example.com"\n' + extra)
    with pytest.raises(ConfigError) as info:
        load_site(write_site(text))
    assert info.value.key == key


def test_site_relative_profile_path_is_beside_the_site_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = tmp_path / "room"
    (room / "profiles").mkdir(parents=True)
    (room / "profiles" / "mine.toml").write_text((REPO / "hw_profiles" / "ci-virtual.toml").read_text())
    (room / "site.toml").write_text(MINIMAL.replace('"ci-virtual"', '"profiles/mine.toml"'))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    site = load_site(Path("..") / "room" / "site.toml")
    assert Path(site.profile).resolve() == (room / "profiles" / "mine.toml").resolve()
    assert load_profile(site.profile).name == "mine"


def test_site_profile_name_is_kept_as_a_name(write_site) -> None:
    assert load_site(write_site(MINIMAL)).profile == "ci-virtual"


def test_site_missing_profile_file_is_reported_against_the_site_file(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(MINIMAL.replace('"ci-virtual"', '"profiles/absent.toml"'))
    with pytest.raises(ConfigError) as info:
        load_site(site)
    assert str(info.value) == (
        f"{site}: [appliance] profile: {tmp_path / 'profiles' / 'absent.toml'}: no such hardware profile file"
    )
    assert info.value.key == "appliance.profile"


def test_site_language_chooses_the_kiosk_language(write_site) -> None:
    site = load_site(
        write_site(MINIMAL.replace('profile = "ci-virtual"', 'profile = "ci-virtual"\nlanguage = "de"'))
    )
    assert site.language == "de"


def test_site_language_defaults_to_english(write_site) -> None:
    assert load_site(write_site(MINIMAL)).language == "en"


def test_site_unknown_language_names_the_choices(write_site) -> None:
    with pytest.raises(ConfigError, match=r"language: expected one of 'en', 'de', found"):
        load_site(
            write_site(MINIMAL.replace('profile = "ci-virtual"', 'profile = "ci-virtual"\nlanguage = "xx"'))
        )


def test_site_speaker_tracking_is_off_unless_the_site_says_so(write_site) -> None:
    assert load_site(write_site(MINIMAL)).speaker_tracking is False
    assert load_site(write_site(MINIMAL + "[camera]\nspeaker_tracking = true\n")).speaker_tracking is True


def test_site_speaker_tracking_needs_seat_zones_in_the_profile(write_site) -> None:
    text = MINIMAL.replace('"ci-virtual"', '"rpi4-usbcam"') + "[camera]\nspeaker_tracking = true\n"
    with pytest.raises(
        ConfigError, match=r"\[camera\] speaker_tracking: the hardware profile 'rpi4-usbcam' declares no"
    ):
        load_site(write_site(text))
