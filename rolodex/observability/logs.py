"""Log records as one JSON object a line, or as text for a person at a terminal.

``ROLODEX_LOG_FORMAT`` chooses: ``json``, ``text``, or ``auto`` (the default): text when
standard error is a terminal, JSON otherwise (a file, a pipe, a container's log
collector). Both show the fields a record carries beyond its message — the request
events of :mod:`rolodex.observability.middleware` carry the request id, account, route,
status and duration.

Secrets never reach a line: the application masks every record as it is made
(:func:`rolodex.secret_fields.install_log_redaction`), and the formatters mask the whole
line once more, the extra fields included, which the record factory does not see.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from rolodex.config import Settings
from rolodex.secret_fields import redact_text

_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",
    "taskName",
}
"""Attributes every record has; the rest are the fields its call passed in ``extra``."""


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The fields ``record`` carries beyond the standard ones, None values left out."""
    return {
        name: value
        for name, value in record.__dict__.items()
        if name not in _STANDARD and not name.startswith("_") and value is not None
    }


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``ts``, ``level``, ``logger``, ``message``, the record's
    extra fields and, for an exception, ``exception`` (its traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **fields_of(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            event["exception"] = record.exc_text
        return redact_text(json.dumps(event, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value…`` for a person reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        extra = fields_of(record)
        extra.pop("event", None)
        for shown in ("method", "target", "status", "duration_ms"):  # already in the message
            extra.pop(shown, None)
        moment = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        line = f"{moment} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if extra:
            line += "  " + " ".join(f"{name}={value}" for name, value in extra.items())
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        return redact_text(line)


def chosen_format(settings: Settings) -> str:
    """``json`` or ``text``: the setting, or for ``auto`` whether stderr is a terminal."""
    if settings.log_format != "auto":
        return settings.log_format
    return "text" if sys.stderr.isatty() else "json"


def log_config(settings: Settings) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of a Rolodex process (``rolodex serve`` hands it
    to uvicorn, which applies it in each server process): every logger to stderr in the
    chosen format, Rolodex's at ``ROLODEX_LOG_LEVEL``, other libraries' warnings only.
    uvicorn's access log is left off: the request events replace it."""
    level = settings.log_level.upper()
    formatter = JsonFormatter if chosen_format(settings) == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"rolodex": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "rolodex",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "rolodex": {"level": level},
            "uvicorn": {"level": level},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"level": "WARNING", "propagate": False},
        },
    }


def configure_logging(settings: Settings) -> None:
    """Apply :func:`log_config` to this process (``rolodex worker``)."""
    import logging.config

    logging.config.dictConfig(log_config(settings))
