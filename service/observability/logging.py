"""Log lines: one JSON object a line (``PARKS_LOG_FORMAT=json``, the default) or plain
text (``text``), on standard error, from our loggers, uvicorn's and any library's.

Every line has ``time`` (UTC, ISO 8601, milliseconds), ``level``, ``logger``, ``message``,
``request_id`` (of the request being served, ``null`` outside one) and ``pid`` (the worker
process). The access line — logger ``parks.access``, one per request, written by the
request-context guard — adds ``user`` (the token's or the signed-in official's name, or
``null``), ``method``, ``route`` (the route template, ``unmatched`` for an unknown path),
``path``, ``query`` (the query string, a ``password=``/``token=``-like value in it
redacted: an OGC client's ``filter=`` or ``datetime=`` is what an operator needs to see),
``status`` and ``duration_ms``. A traceback is in ``exception``.

Nothing else of a request is ever written: not its headers (``Authorization``, cookies),
not its body. A bearer token, a ``password=``/``token=``-like value or a database URL's
password that ends up in the query, a message or a traceback is replaced by
``[redacted]``.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import Any

from service.observability.context import request_id

#: The logger of the access lines.
ACCESS_LOGGER = "parks.access"
#: The access line's own fields, in the order they are written.
ACCESS_FIELDS = ("user", "method", "route", "path", "query", "status", "duration_ms")

_REDACTED = "[redacted]"
_SECRETS = (
    (re.compile(r"(?i)\b(bearer\s+)[^\s'\",;]+"), r"\1" + _REDACTED),
    (
        re.compile(
            r"(?i)\b(password|passwd|secret|token|api_key|cookie|authorization|parks_session)"
            r"(['\"]?\s*[:=]\s*['\"]?)[^\s'\",;&}]+"
        ),
        r"\1\2" + _REDACTED,
    ),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@"), r"\1" + _REDACTED + "@"),
)


def redact(value: str) -> str:
    """*value* with bearer tokens, password-, token- and cookie-like values and URL
    passwords replaced by ``[redacted]``."""
    for pattern, replacement in _SECRETS:
        value = pattern.sub(replacement, value)
    return value


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def _request_id(record: logging.LogRecord) -> str | None:
    return getattr(record, "request_id", None) or request_id.get()


def _message(record: logging.LogRecord) -> str:
    message = record.getMessage()
    # Our access lines are made of fields we chose; anything else may quote anything.
    return message if record.name == ACCESS_LOGGER else redact(message)


class JsonLinesFormatter(logging.Formatter):
    """A record as one line of JSON (see the module's docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
            "request_id": _request_id(record),
        }
        for field in ACCESS_FIELDS:
            if field in record.__dict__:
                entry[field] = record.__dict__[field]
        entry["pid"] = record.process
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A record as plain text: ``time level logger [request id] message``, then the access
    line's user, a traceback on the lines after."""

    def format(self, record: logging.LogRecord) -> str:
        line = (
            f"{_time(record)} {record.levelname} {record.name} "
            f"[{_request_id(record) or '-'}] {_message(record)}"
        )
        if "user" in record.__dict__:
            line += f" user={record.__dict__['user'] or '-'}"
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        if record.stack_info:
            line += "\n" + redact(self.formatStack(record.stack_info))
        return line


FORMATTERS: dict[str, type[logging.Formatter]] = {
    "json": JsonLinesFormatter,
    "text": TextFormatter,
}


def logging_config(*, log_format: str = "json", log_level: str = "info") -> dict[str, Any]:
    """The ``logging.config.dictConfig`` dictionary of the service (uvicorn takes it as its
    ``log_config``): one handler on standard error with the *log_format*'s formatter on the
    root logger; our loggers (``parks``, ``service``) and uvicorn's at *log_level*, other
    libraries at warning; uvicorn's own access lines off (``parks.access`` replaces them:
    they would carry the query string)."""
    level = log_level.upper()
    formatter = FORMATTERS[log_format]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"parks": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "parks",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "parks": {"level": level, "handlers": [], "propagate": True},
            "service": {"level": level, "handlers": [], "propagate": True},
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
        "root": {"level": "WARNING", "handlers": ["stderr"]},
    }


def configure_logging(*, log_format: str = "json", log_level: str = "info") -> None:
    """Apply :func:`logging_config` to this process."""
    logging.config.dictConfig(logging_config(log_format=log_format, log_level=log_level))
