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
