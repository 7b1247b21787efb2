"""``consult serve``: gunicorn with threaded workers keeps connections alive and serves the API."""

from __future__ import annotations

import json
import socket
import time

import pytest

from consult.production.server import gunicorn_options
from tests.production.conftest import free_port


def test_serve_options_use_threaded_keepalive_workers():
    options = gunicorn_options("0.0.0.0", 8000, 3, 6)
    assert options["bind"] == "0.0.0.0:8000"
    assert (options["workers"], options["threads"]) == (3, 6)
    assert options["worker_class"] == "gthread" and options["keepalive"] >= 2
    assert gunicorn_options("::1", 80, 1, 1)["bind"] == "[::1]:80"


def _request(sock: socket.socket, method: str, path: str, body: dict | None = None, token=None):
    """One HTTP/1.1 request on an open connection; returns (status, headers, body)."""
    data = json.dumps(body).encode() if body is not None else b""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    sock.sendall(
        f"{method} {path} HTTP/1.1\r\nHost: test\r\n{auth}Content-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n".encode()
        + data
    )
    raw = b""
    while b"\r\n\r\n" not in raw:
        raw += sock.recv(65536)
    head, rest = raw.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    while len(rest) < int(headers.get("content-length", 0)):
        rest += sock.recv(65536)
    return int(lines[0].split()[1]), headers, rest


@pytest.mark.slow
def test_serve_answers_votes_over_one_kept_alive_connection(app, make_phase, consult_process):
    phase = make_phase(2, strict=False)
    port = free_port()
    server = consult_process("serve", "--port", str(port), "--workers", "1", "--threads", "2")
    deadline = time.monotonic() + 60
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            break
        except OSError:
            assert time.monotonic() < deadline and server.process.poll() is None, server.output()
            time.sleep(0.2)
    with sock:
        status, headers, body = _request(sock, "POST", "/api/v1/participants", {})
        assert status == 201 and headers.get("connection", "").lower() != "close"
        token = json.loads(body)["token"]
        for statement in phase.statements:  # same socket: the connection was kept alive
            status, _, body = _request(
                sock,
                "POST",
                f"/api/v1/phases/{phase.id}/votes",
                {"statement_id": statement.id, "vote": "pass"},
                token,
            )
            assert status == 200 and json.loads(body) == {
                "statement_id": statement.id,
                "vote": "pass",
            }
    server.stop()
    assert server.process.returncode == 0, server.output()
