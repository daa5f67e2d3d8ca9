"""A client that sends its request slowly, or not at all, is cut off: the headers have a
deadline, a body that stops arriving times out, and the server answers everyone else
meanwhile. Raw sockets against the real server."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest
from support_changes import url_for
from support_server import running_server

pytestmark = pytest.mark.e2e

HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def slow_server(databases, loaded_template):
    """The service with one-second deadlines, on its own copy of the sample."""
    url = url_for(databases.create(template=loaded_template))
    with running_server(
        url, header_timeout_s=HEADER_TIMEOUT_S, body_timeout_s=BODY_TIMEOUT_S
    ) as server:
        yield server, url


def _read_until_closed(sock: socket.socket, limit_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection (or *limit_s*)."""
    started = time.monotonic()
    sock.settimeout(limit_s)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data, time.monotonic() - started


def test_headers_sent_a_byte_at_a_time_are_cut_off(slow_server):
    server, _ = slow_server
    request = b"GET /api/parks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 40
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        started = time.monotonic()
        closed_at = None
        for byte in request:
            try:
                sock.send(bytes([byte]))
            except OSError:
                closed_at = time.monotonic() - started
                break
            time.sleep(0.1)
            sock.setblocking(False)
            try:
                answer = sock.recv(4096)
            except BlockingIOError:
                answer = None
            finally:
                sock.setblocking(True)
            if answer is not None:
                closed_at = time.monotonic() - started
                break
    assert closed_at is not None, "the server let the slow client go on"
    assert closed_at < HEADER_TIMEOUT_S + 1.5
    assert answer is None or answer.startswith(b"HTTP/1.1 408")


def test_a_connection_that_sends_nothing_is_closed(slow_server):
    server, _ = slow_server
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        data, seconds = _read_until_closed(sock, limit_s=HEADER_TIMEOUT_S + 5)
    assert seconds < HEADER_TIMEOUT_S + 1.5
    assert data == b"" or data.startswith(b"HTTP/1.1 408")


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"HELLO THERE\r\n\r\n",
        b"GET /api/parcels?q=" + b"x" * 100_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ],
    ids=["not-http", "request-line-of-100-kb"],
)
def test_a_request_that_is_not_http_is_answered_400_json_naming_the_request(
    slow_server, request_bytes
):
    server, _ = slow_server
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(request_bytes)
        data, _ = _read_until_closed(sock, limit_s=5)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), data[:200]
    assert b"content-type: application/json" in head.lower()
    answer = json.loads(body)
    assert answer["error"] == "invalid_request" and answer["parameter"] == "request"
    assert f"x-request-id: {answer['request_id']}".encode() in head.lower()


def test_a_body_that_stops_halfway_is_answered_408(slow_server, make_token):
    server, url = slow_server
    editor = make_token(url, "editor")["Authorization"]
    head = (
        "POST /api/change-sets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n"
        f"Authorization: {editor}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head + b'{"kind": "rezone", ')
        data, seconds = _read_until_closed(sock, limit_s=BODY_TIMEOUT_S + 5)
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert b"request_timeout" in data
    assert seconds < BODY_TIMEOUT_S + 1.5


def test_other_clients_are_served_while_slow_ones_hang(slow_server):
    server, _ = slow_server
    hanging = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
    try:
        for sock in hanging:
            sock.send(b"GET /api/parks HTTP/1.1\r\n")
        response = httpx.get(server.base + "/api/parks", timeout=5)
    finally:
        for sock in hanging:
            sock.close()
    assert response.status_code == 200
