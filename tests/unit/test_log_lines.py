"""No database: the log line's formats (JSON lines and plain text), the request id they
carry, what is redacted from them, and the request id's own rules (kept when well
formed, added to a JSON error body without touching its other bytes)."""

from __future__ import annotations

import json
import logging
import re
import sys

from service.api.guards.request_context import with_request_id
from service.observability.context import request_id, request_id_for
from service.observability.logging import (
    ACCESS_LOGGER,
    JsonLinesFormatter,
    TextFormatter,
    logging_config,
    redact,
)


def _record(name: str, message: str, *args, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, message, args, exc_info)
    record.__dict__.update(extra)
    return record


def _access_record(**overrides) -> logging.LogRecord:
    fields = {
        "request_id": "req-1",
        "user": "wang",
        "method": "GET",
        "route": "/api/parcels/{parcel_code}/history",
        "path": "/api/parcels/GX-1/history",
        "status": 200,
        "duration_ms": 3.5,
        **overrides,
    }
    return _record(ACCESS_LOGGER, "%s %s %s %.1f ms", "GET", fields["route"], 200, 3.5, **fields)


def test_a_json_line_is_one_object_with_the_access_fields_in_order():
    line = JsonLinesFormatter().format(_access_record())
    assert "\n" not in line
    entry = json.loads(line)
    assert list(entry) == [
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "user",
        "method",
        "route",
        "path",
        "status",
        "duration_ms",
        "pid",
    ]
    assert entry["message"] == "GET /api/parcels/{parcel_code}/history 200 3.5 ms"
    assert (entry["level"], entry["logger"], entry["request_id"]) == (
        "INFO",
        ACCESS_LOGGER,
        "req-1",
    )
    assert (entry["user"], entry["status"], entry["duration_ms"]) == ("wang", 200, 3.5)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


def test_a_line_written_while_serving_a_request_names_it_and_outside_one_none():
    formatter = JsonLinesFormatter()
    assert json.loads(formatter.format(_record("service.x", "made")))["request_id"] is None
    token = request_id.set("abc")
    try:
        entry = json.loads(formatter.format(_record("service.x", "made %d tiles", 3)))
    finally:
        request_id.reset(token)
    assert (entry["request_id"], entry["message"]) == ("abc", "made 3 tiles")
    assert "user" not in entry and "status" not in entry


def test_secrets_quoted_in_a_message_or_a_traceback_are_redacted():
    try:
        raise RuntimeError("connect postgresql://parks_app:s3cret-pw@db/parks failed")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = _record(
        "uvicorn.error",
        "headers: Authorization: Bearer tok_abc.DEF-123 password=hunter2 token='t0k3n'",
        exc_info=exc_info,
    )
    entry = json.loads(JsonLinesFormatter().format(record))
    text = json.dumps(entry)
    for secret in ("tok_abc.DEF-123", "hunter2", "t0k3n", "s3cret-pw"):
        assert secret not in text
    assert "[redacted]" in entry["message"] and "[redacted]" in entry["exception"]
    assert "RuntimeError" in entry["exception"]


def test_redact_leaves_ordinary_text_alone():
    plain = "GET /api/parcels/{parcel_code} 404; the token's role may not read this"
    assert redact(plain) == plain
    assert redact("Cookie: parks_session=abcdef") == "Cookie: [redacted]"
    assert redact("parks_session=abcdef; other=1") == "parks_session=[redacted]; other=1"


def test_the_text_format_is_one_plain_line_with_the_request_id_and_user():
    line = TextFormatter().format(_access_record(user=None))
    assert re.fullmatch(
        r"\S+ INFO parks\.access \[req-1\] GET /api/parcels/\{parcel_code\}/history 200 "
        r"3\.5 ms user=-",
        line,
    )
    assert TextFormatter().format(_record("service.x", "hello")).endswith("[-] hello")


def test_the_config_sends_every_logger_through_one_handler_and_turns_uvicorns_access_off():
    config = logging_config(log_format="text", log_level="warning")
    assert config["formatters"]["parks"]["()"].endswith("TextFormatter")
    assert config["root"]["handlers"] == ["stderr"]
    for name in ("parks", "service", "uvicorn", "uvicorn.error"):
        assert config["loggers"][name] == {"level": "WARNING", "handlers": [], "propagate": True}
    assert config["loggers"]["uvicorn.access"]["propagate"] is False
    assert logging_config()["formatters"]["parks"]["()"].endswith("JsonLinesFormatter")


def test_a_well_formed_incoming_request_id_is_kept_and_anything_else_replaced():
    assert request_id_for("lb-1.a_B") == "lb-1.a_B"
    assert request_id_for("x" * 64) == "x" * 64
    for bad in (None, "", "x" * 65, "a b", "a\nb", 'a"b', "é"):
        assert re.fullmatch(r"[0-9a-f]{32}", request_id_for(bad)), bad


def test_the_request_id_is_added_last_to_a_json_object_and_nothing_else_changes():
    body = '{"error":"not_found","message":"没有 \\"x\\"","n":1.5}'.encode()
    marked = with_request_id(body, "r-1")
    assert marked == body[:-1] + b',"request_id":"r-1"}'
    assert json.loads(marked) == {**json.loads(body), "request_id": "r-1"}
    assert with_request_id(b"{}", "r-1") == b'{"request_id":"r-1"}'
    assert with_request_id(b' { "a" : 1 }\n', "r") == b'{ "a" : 1 ,"request_id":"r"}'
    assert with_request_id(b"[1, 2]", "r") is None
    assert with_request_id(b'{"request_id":"theirs"}', "r") is None
