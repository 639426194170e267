"""``configure_logging``: stdlib ("foreign") log lines get the same rendering as fitcoach's own."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from fitcoach.observability import configure_logging

BOT_TOKEN = "123456789:AAHfake-bot-token_0123456789abcdefgh"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back after each test."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    objects = [json.loads(line) for line in lines]
    assert all(isinstance(obj, dict) for obj in objects)
    return objects


def test_uvicorn_and_apscheduler_lines_are_single_json_objects(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    structlog.contextvars.bind_contextvars(request_id="req42")
    logging.getLogger("uvicorn.error").info(
        "Started server process [%d]", 7, extra={"color_message": "\x1b[36m7\x1b[0m"}
    )
    logging.getLogger("apscheduler.scheduler").info('Added job "%s"', "tick")
    [uvicorn_line, scheduler_line] = json_lines(capsys.readouterr().err)
    assert uvicorn_line["event"] == "Started server process [7]"
    assert uvicorn_line["level"] == "info" and uvicorn_line["logger"] == "uvicorn.error"
    assert scheduler_line["event"] == 'Added job "tick"'
    assert scheduler_line["logger"] == "apscheduler.scheduler"
    for line in (uvicorn_line, scheduler_line):
        assert line["request_id"] == "req42"  # bound by RequestContextMiddleware in a request
        assert line["timestamp"].endswith("Z")
        assert "color_message" not in line


def test_secrets_are_redacted_in_foreign_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    logging.getLogger("httpx").warning(
        "HTTP Request: POST https://api.telegram.org/bot%s/sendMessage", BOT_TOKEN
    )
    logging.getLogger("slack_bolt").info(
        "calling the API", extra={"authorization": "Bearer xoxb-1-secret", "user": "U1"}
    )
    logging.getLogger("somelib").info("sent Authorization: Bearer s3cr3t-value")
    err = capsys.readouterr().err
    url_line, extra_line, header_line = json_lines(err)
    assert BOT_TOKEN not in err and "xoxb-1-secret" not in err and "s3cr3t-value" not in err
    assert url_line["event"].endswith("/bot123456789:[redacted]/sendMessage")  # id is public
    assert extra_line["authorization"] == "[redacted]" and extra_line["user"] == "U1"
    assert header_line["event"] == "sent Authorization: Bearer [redacted]"


def test_a_stdlib_traceback_stays_inside_the_json_object(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    try:
        raise RuntimeError(f"could not reach /bot{BOT_TOKEN}/getMe")
    except RuntimeError:
        logging.getLogger("apscheduler.executors.default").exception("Job raised")
    [line] = json_lines(capsys.readouterr().err)
    assert line["level"] == "error" and line["event"] == "Job raised"
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: could not reach /bot123456789:[redacted]/getMe" in line["exception"]


def test_app_lines_carry_the_logger_name_and_redaction(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    structlog.get_logger("fitcoach.test").info("called", api_key="k", url=f"/bot{BOT_TOKEN}/x")
    [line] = json_lines(capsys.readouterr().out)
    assert line["logger"] == "fitcoach.test" and line["level"] == "info"
    assert line["api_key"] == "[redacted]" and BOT_TOKEN not in line["url"]


def test_console_mode_renders_foreign_lines_like_app_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "console")
    logging.getLogger("uvicorn.error").info("Application startup complete.")
    err = capsys.readouterr().err
    assert "Application startup complete." in err and "uvicorn.error" in err
    assert not err.startswith("INFO uvicorn.error:")  # the old basicConfig format


def test_reconfiguring_does_not_duplicate_lines(capsys: pytest.CaptureFixture[str]) -> None:
    stray = logging.StreamHandler()  # as if uvicorn's own log config had run before
    logging.getLogger("uvicorn.access").addHandler(stray)
    logging.getLogger("uvicorn.access").propagate = False
    configure_logging("INFO", "console")
    configure_logging("INFO", "json")
    logging.getLogger("uvicorn.access").info('127.0.0.1:1 - "GET /health/live HTTP/1.1" 200')
    [line] = json_lines(capsys.readouterr().err)
    assert line["logger"] == "uvicorn.access"
    assert stray not in logging.getLogger("uvicorn.access").handlers


def test_level_applies_to_foreign_lines(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING", "json")
    logging.getLogger("apscheduler.scheduler").info("Scheduler started")
    logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
    assert [line["event"] for line in json_lines(capsys.readouterr().err)] == [
        "Run time of job was missed"
    ]
