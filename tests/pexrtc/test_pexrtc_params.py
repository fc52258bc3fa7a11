"""Local checks of the document's vocabularies and of makeCall's node address."""

from __future__ import annotations

import pytest

from appliance.media.call_type import CallType
from appliance.pexrtc import params
from appliance.pexrtc.call import node_url


@pytest.mark.parametrize(
    ("node", "url"),
    [
        ("node.example.com", "https://node.example.com"),
        ("node.example.com:8443", "https://node.example.com:8443"),
        ("127.0.0.1:8080", "https://127.0.0.1:8080"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://node.example.com/", "https://node.example.com"),
        ("https://node.example.com/webapp/", "https://node.example.com"),
    ],
)
def test_node_url_accepts_hosts_and_urls(node: str, url: str) -> None:
    assert node_url(node) == url


@pytest.mark.parametrize("node", ["", "ftp://node", "https://"])
def test_node_url_rejects_what_is_not_a_node(node: str) -> None:
    with pytest.raises(ValueError, match="node"):
        node_url(node)


def test_call_type_none_means_video() -> None:
    assert CallType.parse(None) is CallType.VIDEO


def test_call_type_rejects_unknown_values() -> None:
    with pytest.raises(ValueError, match="'none'"):
        CallType.parse("hologram")


def test_transforms_accepts_every_document_key() -> None:
    every = {
        "layout": "1:7",
        "host_layout": "ac",
        "guest_layout": "4:0",
        "enable_extended_ac": True,
        "streaming_indicator": True,
        "recording_indicator": False,
        "transcribing_indicator": False,
        "enable_active_speaker_indication": True,
        "enable_overlay_text": True,
        "plus_n_pip_enabled": False,
        "streaming": {
            "layout": "1:0",
            "waiting_screen_enabled": False,
            "plus_n_pip_enabled": True,
            "indicators_enabled": True,
            "ac_presentation_in_mix": True,
        },
        "free_form_overlay_text": ["Alice", "Bob"],
    }
    assert params.transforms(every) == every


def test_transforms_empty_object_resets() -> None:
    assert params.transforms({}) == {}


def test_transforms_rejects_unknown_key() -> None:
    with pytest.raises(ValueError, match="layuot"):
        params.transforms({"layuot": "1:0"})


def test_transforms_rejects_unknown_streaming_key() -> None:
    with pytest.raises(ValueError, match=r"streaming: unknown key\(s\) colour"):
        params.transforms({"streaming": {"colour": "red"}})


def test_transforms_rejects_overlay_text_that_is_not_a_list_of_strings() -> None:
    with pytest.raises(ValueError, match="free_form_overlay_text"):
        params.transforms({"free_form_overlay_text": "Alice"})


def test_dial_maps_the_params_object_to_the_wire_names() -> None:
    out = params.dial(
        "rtmp",
        "GUEST",
        {
            "presentation_uri": "rtmp://foo/bar",
            "streaming": True,
            "dtmf_sequence": "1234",
            "call_type": "video-only",
            "keep_conference_alive": "keep_conference_alive_never",
            "remote_display_name": "Stream",
            "overlay_text": "Live",
        },
    )
    assert out == {
        "protocol": "rtmp",
        "role": "GUEST",
        "presentation_url": "rtmp://foo/bar",
        "streaming": True,
        "dtmf_sequence": "1234",
        "call_type": "video-only",
        "keep_conference_alive": "keep_conference_alive_never",
        "remote_display_name": "Stream",
        "text": "Live",
    }


def test_dial_role_defaults_to_host() -> None:
    assert params.dial("auto", None, None)["role"] == "HOST"


def test_dial_rejects_unknown_protocol() -> None:
    with pytest.raises(ValueError, match="protocol"):
        params.dial("telex", "HOST", None)


def test_fecc_rejects_a_direction_of_another_axis() -> None:
    with pytest.raises(ValueError, match="direction for pan"):
        params.fecc("start", "pan", "up")


def test_participant_role_accepts_only_chair_and_guest() -> None:
    with pytest.raises(ValueError, match="'chair', 'guest'"):
        params.participant_role("HOST")
