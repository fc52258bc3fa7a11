"""Where ``appliance labnode`` offers media: with its signalling address unless told otherwise."""

from __future__ import annotations

from appliance.labnode.cli import ice_addresses


def test_cli_ice_loopback_node_offers_loopback_media() -> None:
    assert ice_addresses("127.0.0.1", None) == ["127.0.0.1"]


def test_cli_ice_localhost_means_ipv4_loopback() -> None:
    assert ice_addresses("localhost", None) == ["127.0.0.1"]


def test_cli_ice_specific_address_is_used_for_media_too() -> None:
    assert ice_addresses("192.0.2.10", None) == ["192.0.2.10"]


def test_cli_ice_any_address_lets_aioice_list_every_interface() -> None:
    assert ice_addresses("0.0.0.0", None) is None
    assert ice_addresses("::", None) is None


def test_cli_ice_explicit_addresses_win() -> None:
    assert ice_addresses("0.0.0.0", ["10.1.2.3", "127.0.0.1"]) == ["10.1.2.3", "127.0.0.1"]
