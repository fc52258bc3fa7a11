"""SDP rewriting and reading, on text alone."""

from __future__ import annotations

import hashlib

from appliance.media import sdp as sdp_text

OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 1 1 IN IP4 0.0.0.0",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1 2",
        "m=audio 5000 UDP/TLS/RTP/SAVPF 96",
        "c=IN IP4 127.0.0.1",
        "a=sendrecv",
        "a=mid:0",
        "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host",
        "a=end-of-candidates",
        "a=ice-ufrag:abcd",
        "a=ice-pwd:secretpassword1234",
        "a=fingerprint:sha-256 AA:BB",
        "m=video 5000 UDP/TLS/RTP/SAVPF 97",
        "c=IN IP4 127.0.0.1",
        "a=recvonly",
        "a=mid:1",
        "a=ice-ufrag:abcd",
        "a=ice-pwd:secretpassword1234",
        "m=video 0 UDP/TLS/RTP/SAVPF 97",
        "c=IN IP4 0.0.0.0",
        "a=sendrecv",
        "a=mid:2",
        "",
    ]
)


def test_tag_content_marks_only_the_named_mline() -> None:
    tagged = sdp_text.tag_content(OFFER, "2", "slides")
    assert sdp_text.content_of(tagged, "2") == "slides"
    assert sdp_text.content_of(tagged, "1") is None


def test_tag_content_replaces_an_earlier_tag() -> None:
    twice = sdp_text.tag_content(sdp_text.tag_content(OFFER, "2", "main"), "2", "slides")
    assert twice.count("a=content:") == 1


def test_set_bandwidth_adds_as_and_tias_after_the_connection_line() -> None:
    limited = sdp_text.set_bandwidth(OFFER, 512)
    lines = limited.split("\r\n")
    index = lines.index("b=AS:512")
    assert lines[index - 1].startswith("c=")
    assert lines[index + 1] == "b=TIAS:512000"
    assert limited.count("b=AS:512") == 2  # both video lines, not audio


def test_set_bandwidth_none_removes_limits() -> None:
    assert "b=" not in sdp_text.set_bandwidth(sdp_text.set_bandwidth(OFFER, 512), None)


def test_bandwidth_kbps_reads_the_tightest_limit() -> None:
    text = sdp_text.set_bandwidth(OFFER, 900).replace("b=TIAS:900000", "b=TIAS:600000", 1)
    assert sdp_text.bandwidth_kbps(text) == 600


def test_strip_candidates_removes_candidates_and_end_marker() -> None:
    stripped = sdp_text.strip_candidates(OFFER)
    assert "a=candidate" not in stripped
    assert "a=end-of-candidates" not in stripped
    assert "a=ice-ufrag:abcd" in stripped


def test_candidates_carry_mid_and_credentials() -> None:
    (candidate,) = sdp_text.candidates(OFFER)
    assert candidate.to_wire() == {
        "candidate": "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host",
        "mid": "0",
        "ufrag": "abcd",
        "pwd": "secretpassword1234",
    }


def test_directions_reads_each_mline_and_port_zero_as_inactive() -> None:
    assert sdp_text.directions(OFFER) == {"0": "sendrecv", "1": "recvonly", "2": "inactive"}


def test_secure_check_code_is_symmetric() -> None:
    local = "a=fingerprint:sha-256 AA:BB\r\n"
    remote = "a=fingerprint:sha-256 CC:DD\r\n"
    assert sdp_text.secure_check_code(local, remote) == sdp_text.secure_check_code(remote, local)


def test_secure_check_code_hashes_the_sorted_joined_fingerprints() -> None:
    local = "a=fingerprint:sha-256 CC : DD\r\na=fingerprint:sha-1 11\r\n"
    remote = "a=fingerprint:sha-256 AA:BB\r\n"
    local_joined = "sha-111" + "sha-256CC:DD"  # whitespace removed, sorted, joined
    expected = hashlib.sha256("".join(sorted([local_joined, "sha-256AA:BB"])).encode())
    assert sdp_text.secure_check_code(local, remote) == expected.hexdigest()


def test_secure_check_code_is_invalid_without_fingerprints() -> None:
    assert sdp_text.secure_check_code("v=0\r\n", "a=fingerprint:sha-256 AA\r\n") == "INVALID"


def _with_candidate_in_every_section(sdp: str) -> str:
    """What aiortc writes under BUNDLE: the transport's candidates repeated in each m-section."""
    line = "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"
    return sdp.replace("a=mid:1\r\n", f"a=mid:1\r\n{line}\r\n").replace(
        "a=mid:2\r\n", f"a=mid:2\r\n{line}\r\n"
    )


def test_candidates_under_bundle_are_reported_once_on_the_first_mid() -> None:
    found = sdp_text.candidates(_with_candidate_in_every_section(OFFER))
    assert [(c.mid, c.candidate) for c in found] == [
        ("0", "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host")
    ]


def test_transport_mids_under_bundle_is_the_first_mid_alone() -> None:
    assert sdp_text.transport_mids(OFFER) == ["0"]


def test_transport_mids_without_bundle_is_every_mid() -> None:
    assert sdp_text.transport_mids(OFFER.replace("a=group:BUNDLE 0 1 2\r\n", "")) == ["0", "1", "2"]


def test_declare_trickle_adds_ice_options_to_every_section_once() -> None:
    declared = sdp_text.declare_trickle(OFFER)
    assert declared.count("a=ice-options:trickle") == 3
    assert sdp_text.declare_trickle(declared) == declared
