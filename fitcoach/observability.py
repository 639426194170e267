"""Structured logging (structlog): console for people, JSON for machines; no secrets.

Two kinds of log lines leave the process, and both get the same treatment (timestamp, level,
logger name, the request id bound by ``RequestContextMiddleware``, secret redaction) and the
same renderer, so with ``FITCOACH_LOG_FORMAT=json`` every line is one JSON object:

* fitcoach's own structlog lines, printed to stdout;
* "foreign" lines of stdlib loggers (uvicorn, apscheduler, SQLAlchemy, httpx, python-telegram-bot,
  slack_bolt, ``warnings``...), written to stderr by one root handler whose
  ``structlog.stdlib.ProcessorFormatter`` runs them through a ``foreign_pre_chain``.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

SECRET_KEYS = frozenset({"token", "api_key", "secret", "password", "authorization"})
"""An event key containing one of these has its value replaced, whatever it is."""

REDACTED = "[redacted]"

_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Telegram bot tokens ("<bot id>:<secret>", also inside Bot API URLs): keep the public id.
    (re.compile(r"(?<!\d)(\d{3,}):[A-Za-z0-9_-]{12,}"), rf"\1:{REDACTED}"),
    # Authorization headers and bearer tokens, however they were printed.
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    (
        re.compile(
            r"""(?i)\b(authorization["']?\s*[:=]\s*["']?)(?!bearer\b)(?:[a-z]+\s+)?[^\s"',;]+"""
        ),
        rf"\1{REDACTED}",
    ),
    # Slack bot/user/app tokens, Google API keys.
    (re.compile(r"\b(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]+"), REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{20,}"), REDACTED),
    # Credentials in query strings.
    (
        re.compile(r"(?i)([?&](?:token|key|api_key|secret|password|access_token)=)[^&\s\"']+"),
        rf"\1{REDACTED}",
    ),
)

_FOREIGN_HANDLER_NAME = "fitcoach"
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",  # set by Formatter.format when another handler formatted the record first
    "asctime",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
    "taskName",
}


# Matches wherever any of _SECRET_PATTERNS could (a looser union of them): most values have
# none of these, and one search of the union costs a sixth of trying each pattern.
_MAYBE_SECRET = re.compile(
    r"\d{3}:[\w-]{12}|bearer|authorization|xox[abeoprs]-|xapp-|aiza"
    r"|[?&](?:token|key|api_key|secret|password|access_token)=",
    re.IGNORECASE,
)


def _scrub(value: str) -> str:
    if _MAYBE_SECRET.search(value) is None:
        return value
    for pattern, replacement in _SECRET_PATTERNS:
        value = pattern.sub(replacement, value)
    return value


@functools.lru_cache(maxsize=1024)
def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in SECRET_KEYS)


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Blank values under secret-looking keys, and secret-looking text in every string value
    (a library's message with a Bot API URL in it, a traceback quoting a header)."""
    for key, value in list(event.items()):
        if isinstance(key, str) and _is_secret_key(key):
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = _scrub(value)
    return event


def _add_logger_name(
    logger: Any, _: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    record = event.get("_record")
    name = record.name if isinstance(record, logging.LogRecord) else getattr(logger, "name", None)
    if name:
        event.setdefault("logger", name)
    return event


def _add_record_extras(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """The ``extra={...}`` fields of a stdlib record (so ``_redact`` sees their keys too)."""
    record = event.get("_record")
    if isinstance(record, logging.LogRecord):
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                event.setdefault(key, value)
    return event


class _NamedPrintLogger(structlog.PrintLogger):
    """A PrintLogger that remembers the name given to ``structlog.get_logger(__name__)``."""

    def __init__(self, file: TextIO | None = None, name: str | None = None) -> None:
        super().__init__(file)
        self.name = name


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to ``sys.stderr`` as it is when a line is logged (like ``print``), not the stream
    of when logging was configured (which a test runner may have swapped and closed since)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _named_print_logger(*args: Any) -> structlog.PrintLogger:
    return _NamedPrintLogger(name=str(args[0]) if args and args[0] else None)


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    """Route stdlib and structlog logs through one renderer (idempotent)."""
    json_lines = fmt == "json"

    def renderer() -> structlog.types.Processor:
        return (
            structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer()
        )

    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,  # request_id inside a request
        structlog.processors.add_log_level,
        _add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # Tracebacks become a string field before redaction, so they are scrubbed and stay
    # inside the one JSON object.
    finish: list[structlog.types.Processor] = [structlog.processors.format_exc_info, _redact]
    numeric_level = logging.getLevelName(level.upper())
    structlog.configure(
        processors=[*shared, *finish, renderer()],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=_named_print_logger,
        cache_logger_on_first_use=True,
    )

    handler = _StderrHandler()
    handler.set_name(_FOREIGN_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[_add_record_extras, *shared],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *finish,
                renderer(),
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _FOREIGN_HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(numeric_level)
    # uvicorn runs with log_config=None: its loggers must reach the root handler, once.
    for name in _UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
        uvicorn_logger.setLevel(logging.NOTSET)  # a level an earlier uvicorn.Config set
        uvicorn_logger.disabled = False
    logging.captureWarnings(True)  # warnings.warn (SAWarning, DeprecationWarning...) as lines
    for noisy in ("httpx", "alembic", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
