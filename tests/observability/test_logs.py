"""The log format: text in a terminal, JSON otherwise, or as ROLODEX_LOG_FORMAT says; the
request fields on every line, secrets masked in both."""

from __future__ import annotations

import io
import json
import logging
import os
import sys

import pytest

from rolodex.config import Settings
from rolodex.observability.logs import JsonFormatter, TextFormatter, chosen_format
from rolodex.secret_fields import install_log_redaction

SECRET = "rdx_k_" + "s3cr3t" * 5


def test_auto_is_text_in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # Standard error is a real terminal: a pseudo-terminal's far end (set here, in the
    # test itself, as the output capture swaps the streams between phases).
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        try:
            assert sys.stderr.isatty()
            assert chosen_format(Settings(log_format="auto")) == "text"
            assert chosen_format(Settings(log_format="json")) == "json"
        finally:
            monkeypatch.undo()
            os.close(leader)


def test_auto_is_json_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert chosen_format(Settings(log_format="auto")) == "json"
    assert chosen_format(Settings(log_format="text")) == "text"


def test_settings_refuse_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="log_format"):
        Settings(log_format="xml")  # type: ignore[arg-type]


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    install_log_redaction()  # as create_app does
    logger = logging.getLogger("rolodex.test_logs")
    return logger.makeRecord(
        logger.name, logging.INFO, __file__, 1, message, args, None, extra=extra
    )


def test_both_formats_show_the_fields_and_mask_secrets() -> None:
    record = _record(
        "GET %s → %d in %.1f ms",
        "/api/v1/contacts",
        200,
        1.5,
        request_id=SECRET,  # extra fields are not seen by the record factory's masking
        account_id="acc_1",
        route="/api/v1/contacts",
    )
    line = JsonFormatter().format(record)
    event = json.loads(line)
    assert event["message"] == "GET /api/v1/contacts → 200 in 1.5 ms"
    assert event["account_id"] == "acc_1" and event["request_id"] == "rdx_k_[redacted]"
    text = TextFormatter().format(record)
    assert "GET /api/v1/contacts → 200 in 1.5 ms" in text
    assert "account_id=acc_1" in text and "request_id=rdx_k_[redacted]" in text
    assert SECRET not in line + text
    assert not text.startswith("{")


def test_an_exception_is_one_json_line() -> None:
    try:
        raise RuntimeError(f"boom with {SECRET}")
    except RuntimeError:
        record = _record("failed")
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    event = json.loads(line)
    assert "Traceback" in event["exception"] and SECRET not in line
