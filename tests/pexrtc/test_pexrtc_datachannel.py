"""pexChannel messages (reference §4.4): the JSON ``{type, body}`` framing and where each goes."""

from __future__ import annotations

import json

from appliance.pexrtc.datachannel import IMAGE_CHUNK, ImageAssembler, decode, encode
from appliance.pexrtc.direct import channel_callback

CHAT = {"origin": "Alice", "type": "text/plain", "payload": "hi", "uuid": "u-1"}


def test_encode_wraps_the_body_in_type_and_body() -> None:
    assert json.loads(encode("message", CHAT)) == {"type": "message", "body": CHAT}


def test_decode_reads_type_and_body() -> None:
    assert decode(encode("fecc", {"action": "stop"})) == ("fecc", {"action": "stop"})


def test_decode_ignores_text_that_is_not_a_channel_message() -> None:
    assert [decode("not json"), decode("[1]"), decode('{"body": {}}')] == [None, None, None]


def test_image_assembler_returns_the_data_url_at_the_last_fragment() -> None:
    assembler = ImageAssembler()
    data = "data:image/jpeg;base64," + "A" * (IMAGE_CHUNK + 10)
    first = {"fragment": 1, "total": 2, "data": data[:IMAGE_CHUNK]}
    last = {"fragment": 2, "total": 2, "data": data[IMAGE_CHUNK:]}
    assert (assembler.add(first), assembler.add(last)) == (None, data)


def test_channel_text_message_goes_to_onchatmessage() -> None:
    name, (message,) = channel_callback("message", CHAT, chat_enabled=True, fecc_supported=False) or ("", ())
    assert name == "onChatMessage"
    assert message == {**CHAT, "direct": False}


def test_channel_json_message_goes_to_onapplicationmessage() -> None:
    body = {**CHAT, "type": "application/json", "payload": "{}"}
    delivered = channel_callback("message", body, chat_enabled=True, fecc_supported=False)
    assert delivered is not None and delivered[0] == "onApplicationMessage"


def test_channel_message_is_not_delivered_when_chat_is_disabled() -> None:
    assert channel_callback("message", CHAT, chat_enabled=False, fecc_supported=True) is None


def test_channel_fecc_is_delivered_only_with_fecc_supported() -> None:
    body = {"action": "start", "movement": [{"axis": "pan", "direction": "left"}], "timeout": 200}
    assert channel_callback("fecc", body, chat_enabled=True, fecc_supported=False) is None
    assert channel_callback("fecc", body, chat_enabled=True, fecc_supported=True) == ("onFECC", (body,))


def test_channel_image_goes_to_onpresentationreload() -> None:
    body = {"data": "data:image/jpeg;base64,AA"}
    delivered = channel_callback("image", body, chat_enabled=True, fecc_supported=False)
    assert delivered == ("onPresentationReload", ("data:image/jpeg;base64,AA",))
