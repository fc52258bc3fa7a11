"""The text/event-stream parser: spec behaviour, chunking invariance, fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.infinity.sse import SseMessage, SseOverflow, SseParser


def parse_all(data: bytes, cuts: list[int] | None = None) -> list[SseMessage]:
    parser = SseParser()
    out: list[SseMessage] = []
    start = 0
    for cut in sorted(cuts or []):
        out += parser.feed(data[start:cut])
        start = cut
    out += parser.feed(data[start:])
    return out


def test_sse_parses_event_data_and_id() -> None:
    assert parse_all(b"event: stage\nid: 7\ndata: []\n\n") == [SseMessage("stage", "[]", "7")]


def test_sse_joins_multiple_data_lines() -> None:
    assert parse_all(b"data: a\ndata: b\n\n")[0].data == "a\nb"


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_sse_accepts_every_line_ending(newline: bytes) -> None:
    data = newline.join([b"event: x", b"data: 1", b"", b""])
    assert parse_all(data) == [SseMessage("x", "1")]


def test_sse_crlf_split_across_chunks_is_one_line_ending() -> None:
    assert parse_all(b"event: x\r\ndata: 1\r\n\r\n", cuts=[9, 17, 18]) == [SseMessage("x", "1")]


def test_sse_ignores_comments_and_bom() -> None:
    assert parse_all(b"\xef\xbb\xbf: keepalive\nevent: x\ndata: 1\n\n") == [SseMessage("x", "1")]


def test_sse_keeps_the_last_event_id_sticky() -> None:
    messages = parse_all(b"id: 5\nevent: a\ndata: 1\n\nevent: b\ndata: 2\n\n")
    assert [m.id for m in messages] == ["5", "5"]


def test_sse_delivers_a_named_event_without_data() -> None:
    assert parse_all(b"event: participant_sync_begin\n\n") == [SseMessage("participant_sync_begin", "")]


def test_sse_drops_an_incomplete_block_at_end() -> None:
    parser = SseParser()
    assert parser.feed(b'event: x\ndata: {"a"') == []
    assert parser.close() == []


def test_sse_replaces_invalid_utf8() -> None:
    assert parse_all(b"data: \xff\n\n")[0].data == "\ufffd"


def test_sse_multibyte_character_split_across_chunks() -> None:
    data = "data: é\n\n".encode()
    assert parse_all(data, cuts=[7])[0].data == "é"


def test_sse_overflow_on_a_huge_line() -> None:
    parser = SseParser(max_line=100)
    with pytest.raises(SseOverflow):
        parser.feed(b"data: " + b"x" * 200)


events = st.lists(
    st.tuples(
        st.text(
            alphabet=st.characters(blacklist_characters="\r\n:", blacklist_categories=("Cs",)), min_size=1
        ),
        st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",))),
    ),
    max_size=8,
)


@given(events, st.lists(st.integers(0, 2000), max_size=10))
def test_sse_chunking_never_changes_the_result(pairs: list[tuple[str, str]], cuts: list[int]) -> None:
    data = "".join(f"event:{name}\ndata:{value}\n\n" for name, value in pairs).encode()
    whole = parse_all(data)
    chopped = parse_all(data, [c for c in cuts if c <= len(data)])
    assert chopped == whole
    expected = [(n.removeprefix(" ") or "message", v.removeprefix(" ")) for n, v in pairs]
    assert [(m.event, m.data) for m in whole] == expected


@given(st.binary(max_size=500), st.lists(st.integers(0, 500), max_size=6))
def test_sse_arbitrary_bytes_never_raise(data: bytes, cuts: list[int]) -> None:
    parse_all(data, [c for c in cuts if c <= len(data)])
