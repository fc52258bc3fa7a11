"""Structured logging: one JSON object per line on stdout, secrets redacted.

journald stores one entry per line, so every event is one line; a room
system's logs are read by people other than its owner, so PINs and tokens
must never reach them. Redaction works two ways:

* every secret the process learns (a PIN from configuration, a token from
  the node) is registered with :func:`register_secret` and replaced
  wherever it appears, whatever the surrounding text;
* patterns catch secrets that were never registered (``token=...`` in a
  URL, ``"pin": "..."`` in a JSON body, a ``pin`` or ``token`` header).

The filter runs on the rendered message, on ``args``, on the text of an
attached exception (a secret inside a traceback is caught too) and on the
structured ``context`` at any depth, where a key that names a secret hides
its value whatever the value's type.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any, Final

REDACTED: Final = "«redacted»"

# key=value or "key": "value" forms for the names that carry secrets.
_SECRET_NAMES = r"(?:token|pin|guest_pin|host_pin|sso_token|password|credential|registration_token)"
_PATTERNS: Final = (
    # query strings and form bodies: token=abc&...
    re.compile(rf"(?P<pre>[?&;\s]{_SECRET_NAMES}=)(?P<val>[^&\s\"'<>]+)", re.IGNORECASE),
    # JSON: "token": "abc"
    re.compile(rf"(?P<pre>[\"']{_SECRET_NAMES}[\"']\s*:\s*[\"'])(?P<val>[^\"']*)", re.IGNORECASE),
    # JSON or repr with a bare value: "pin": 1234, 'pin': 1234
    re.compile(rf"(?P<pre>[\"']{_SECRET_NAMES}[\"']\s*:\s*)(?P<val>[^\s\"',}}\]]+)", re.IGNORECASE),
    # headers / repr: token: abc, 'pin': 'abc'
    re.compile(rf"(?P<pre>\b{_SECRET_NAMES}\s*[:=]\s*)(?P<val>[^\s,;}})\]\"']+)", re.IGNORECASE),
)

_lock = threading.Lock()
_secrets: set[str] = set()
# Secrets shorter than this are only redacted through the patterns: a
# one-digit PIN replaced everywhere would shred ordinary numbers.
_MIN_SECRET_LEN: Final = 3


def register_secret(value: str | None) -> None:
    """Redact ``value`` from every log line from now on."""
    if value and len(value) >= _MIN_SECRET_LEN:
        with _lock:
            _secrets.add(value)


def forget_secret(value: str | None) -> None:
    """Stop tracking a secret that is no longer valid (a replaced token)."""
    if value:
        with _lock:
            _secrets.discard(value)


def redact(text: str) -> str:
    """Return ``text`` with every known secret and secret-looking value hidden."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group("pre") + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record in place so no handler ever sees a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        context = getattr(record, "context", None)
        if context is not None:
            record.__dict__["context"] = redact_data(context)
        return True


# Words that make a key name a secret when it ends with one: guest_pin,
# X-Pexip-Token, proxyPassword; but not pin_status or token_expires.
_SECRET_WORDS: Final = frozenset(
    {"pin", "token", "password", "passwd", "passphrase", "secret", "credential", "credentials"}
    | {"authorization", "cookie"}
)
_SCALARS: Final = (int, float, bool, type(None))


def is_secret_key(key: object) -> bool:
    """Whether a mapping key names a secret, whatever its value's type."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(key))
    words = re.split(r"[^a-z0-9]+", spaced.lower())
    words = [w for w in words if w]
    return bool(words) and words[-1] in _SECRET_WORDS


def redact_data(value: Any) -> Any:
    """A copy of structured log data with every secret hidden, at any depth.

    A value under a secret key is replaced whatever its type (``{"pin": 1234}``);
    strings are cleaned like messages; dicts, lists, tuples and sets are walked;
    any other object is rendered with ``str`` and cleaned, since the JSON
    formatter would render it that way anyway, after redaction had run.
    The caller's objects are never modified.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        return {k: REDACTED if is_secret_key(k) else redact_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact_data(v) for v in value]
    return redact(str(value))


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg, context, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        context = getattr(record, "context", None)
        if context:
            entry["context"] = context
        if record.exc_text:
            entry["exc"] = record.exc_text
        elif record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


class ContextAdapter(logging.LoggerAdapter[logging.Logger]):
    """Adds a fixed ``context`` dict (session, device, call) to every line."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        extra = dict(kwargs.pop("extra", None) or {})
        context = dict(self.extra or {})
        context.update(extra.pop("context", None) or {})
        extra["context"] = context
        kwargs["extra"] = extra
        return msg, kwargs


def get_logger(name: str, **context: Any) -> ContextAdapter:
    """A logger whose lines carry ``context`` (e.g. ``conference="meet"``)."""
    return ContextAdapter(logging.getLogger(name), context)


_factory_installed = False


def install_redaction() -> None:
    """Redact every log record at creation, whichever handler receives it.

    A handler filter protects only our own handler; the record factory also
    covers handlers others attach (pytest's caplog, a syslog handler added by
    an integrator). Idempotent; the product's entry points call it.
    """
    global _factory_installed
    with _lock:
        if _factory_installed:
            return
        _factory_installed = True
    previous = logging.getLogRecordFactory()
    cleaner = RedactingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        cleaner.filter(record)
        return record

    logging.setLogRecordFactory(factory)


LEVELS: Final = ("debug", "info", "warning", "error", "critical")


def setup(level: str = "info", *, stream: Any = None, loggers: Iterable[str] = ("",)) -> None:
    """Install the JSON-line handler with redaction on the given loggers.

    Idempotent: calling it again replaces the handler, so tests and the
    daemon can both call it.
    """
    if level.lower() not in LEVELS:
        raise ValueError(f"log level: expected one of {', '.join(LEVELS)}, found {level!r}")
    install_redaction()
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(RedactingFilter())
    handler.set_name("appliance-jsonl")
    for name in loggers:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == "appliance-jsonl"]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level.upper())
