"""Structured logging: one JSON object per line, with secrets redacted everywhere."""

from __future__ import annotations

import io
import json
import logging

import pytest

from appliance import log


@pytest.fixture
def stream() -> io.StringIO:
    out = io.StringIO()
    log.setup("debug", stream=out, loggers=("appliance.test",))
    return out


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_log_each_event_is_one_json_line(stream: io.StringIO) -> None:
    logging.getLogger("appliance.test").info("joined %s", "meet")
    (entry,) = _lines(stream)
    assert entry["msg"] == "joined meet"
    assert entry["level"] == "info"
    assert entry["logger"] == "appliance.test"
    assert entry["ts"].endswith("Z")


def test_log_multiline_message_stays_one_line(stream: io.StringIO) -> None:
    logging.getLogger("appliance.test").warning("first\nsecond")
    assert len(stream.getvalue().splitlines()) == 1


def test_log_context_adapter_adds_fields(stream: io.StringIO) -> None:
    log.get_logger("appliance.test", conference="meet").info("hello")
    assert _lines(stream)[0]["context"] == {"conference": "meet"}


def test_log_registered_secret_is_redacted_anywhere(stream: io.StringIO) -> None:
    log.register_secret("s3cr3t-token-value")
    logging.getLogger("appliance.test").info("got %s from node", "xx s3cr3t-token-value yy")
    assert "s3cr3t-token-value" not in stream.getvalue()
    assert log.REDACTED in stream.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/client/v2/conferences/meet/events?token=abcDEF123456",
        'body {"display_name": "x", "token": "abcDEF123456"}',
        "headers {'pin': '987654', 'token': 'abcDEF123456'}",
        "pin: 987654",
    ],
)
def test_log_unregistered_secret_patterns_are_redacted(stream: io.StringIO, text: str) -> None:
    logging.getLogger("appliance.test").info(text)
    out = stream.getvalue()
    assert "abcDEF123456" not in out and "987654" not in out


def test_log_secret_in_exception_traceback_is_redacted(stream: io.StringIO) -> None:
    log.register_secret("tok-in-traceback-42")
    try:
        raise RuntimeError("refused tok-in-traceback-42")
    except RuntimeError:
        logging.getLogger("appliance.test").exception("failed")
    entry = _lines(stream)[0]
    assert "tok-in-traceback-42" not in json.dumps(entry)
    assert "RuntimeError" in entry["exc"]


def test_log_redaction_reaches_foreign_handlers(caplog: pytest.LogCaptureFixture) -> None:
    log.install_redaction()
    log.register_secret("foreign-handler-secret")
    with caplog.at_level(logging.INFO):
        logging.getLogger("somebody.else").info("value foreign-handler-secret")
    assert "foreign-handler-secret" not in caplog.text


def test_log_level_is_validated() -> None:
    with pytest.raises(ValueError, match="expected one of debug, info"):
        log.setup("loud")


def test_log_short_secrets_are_not_replaced_inside_numbers(stream: io.StringIO) -> None:
    log.register_secret("12")
    logging.getLogger("appliance.test").info("port 8120")
    assert "8120" in stream.getvalue()


@pytest.mark.parametrize(
    "context",
    [
        {"headers": {"token": "abcDEF123456"}},
        {"req": ["GET /events?token=abcDEF123456"]},
        {"req": ("token=abcDEF123456",)},
        {"calls": [{"participant": {"guest_pin": "987654"}}]},
        {"headers": {"X-Pexip-Token": "abcDEF123456"}},
        {"login": {"proxyPassword": "abcDEF123456"}},
    ],
)
def test_log_nested_context_secrets_are_redacted(stream: io.StringIO, context: dict) -> None:
    logging.getLogger("appliance.test").info("request", extra={"context": context})
    out = stream.getvalue()
    assert "abcDEF123456" not in out and "987654" not in out
    assert log.REDACTED in out


@pytest.mark.parametrize("value", [987654, 98765.4, ["987654"], {"digits": "987654"}])
def test_log_value_under_a_secret_key_is_redacted_whatever_its_type(
    stream: io.StringIO, value: object
) -> None:
    logging.getLogger("appliance.test").info("join", extra={"context": {"room": {"pin": value}}})
    (entry,) = _lines(stream)
    assert entry["context"] == {"room": {"pin": log.REDACTED}}


def test_log_keys_that_only_mention_a_secret_word_are_kept(stream: io.StringIO) -> None:
    context = {"pin_status": "required", "token_expires": 120, "pinned": True}
    logging.getLogger("appliance.test").info("setup", extra={"context": context})
    assert _lines(stream)[0]["context"] == context


def test_log_redaction_leaves_the_callers_context_untouched(stream: io.StringIO) -> None:
    context = {"headers": {"token": "abcDEF123456"}}
    logging.getLogger("appliance.test").info("request", extra={"context": context})
    assert context == {"headers": {"token": "abcDEF123456"}}


def test_log_object_in_context_is_rendered_and_redacted(stream: io.StringIO) -> None:
    class Url:
        def __str__(self) -> str:
            return "https://node/api?token=abcDEF123456"

    logging.getLogger("appliance.test").info("request", extra={"context": {"url": Url()}})
    assert "abcDEF123456" not in stream.getvalue()


@pytest.mark.parametrize("text", ['body {"pin": 987654}', "kwargs {'token': 987654}"])
def test_log_unquoted_secret_values_in_messages_are_redacted(stream: io.StringIO, text: str) -> None:
    logging.getLogger("appliance.test").info(text)
    assert "987654" not in stream.getvalue()
