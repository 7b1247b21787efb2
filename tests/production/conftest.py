"""Fixtures for production-mode tests: Redis (shared test DB or a private server), subprocesses
running ``consult`` commands, and a TCP proxy that can cut the database off."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from consult.jobs import services

ROOT = Path(__file__).resolve().parents[2]
CONSULT = str(Path(sys.executable).with_name("consult"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of our own on a free port, without persistence, that can be restarted."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed: the Redis restart test needs its own server")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


class ConsultProcess:
    """``consult <args>`` in its own process group, against the test app's database."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.log = log
        with log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [CONSULT, *args],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the whole process group: no cleanup, like a machine that lost power."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def consult_process(app, tmp_path) -> Iterator:
    """Factory: start ``consult ...`` with the test app's database and the given settings."""
    started: list[ConsultProcess] = []

    def start(*args: str, **settings: object) -> ConsultProcess:
        env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "CONSULT_INSTANCE_PATH": str(tmp_path),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("REDIS_URL", None)
        env.update({k: str(v) for k, v in settings.items()})
        process = ConsultProcess(list(args), env, tmp_path / f"consult-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture(autouse=True)
def _no_leftover_background_work():
    from consult.jobs import queue

    queue.reset_for_tests()
    yield
    services.stop_sweeper()
    queue.reset_for_tests()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a server. ``stop`` refuses and drops every connection, like a
    database that went away; ``cut_when(pattern)`` drops the connection carrying the next client
    packet that contains ``pattern`` (the packet is not forwarded)."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut: bytes | None = None
        self._trigger: bytes | None = None
        self.cuts = 0

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            self._close(listener)  # shutdown wakes the thread blocked in accept()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            self._close(sock)

    def cut_when(self, pattern: bytes, *, after: bytes | None = None) -> None:
        """Drop the connection at the next client packet containing ``pattern`` (once ``after``
        has been seen on the same connection, when given)."""
        self._trigger, self._cut = after, pattern

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, server}
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        armed = False
        try:
            while chunk := source.recv(65536):
                if upstream and self._cut:
                    armed = armed or self._trigger is None or self._trigger in chunk
                    if armed and self._cut in chunk:
                        self._cut = self._trigger = None
                        self.cuts += 1
                        break
                sink.sendall(chunk)
        except OSError:
            pass
        self._close(source)
        self._close(sink)

    @staticmethod
    def _close(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
