"""Run the app under gunicorn (threaded workers with keep-alive) from ``consult serve``."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

# Measured with benchmarks/load.py on 2 cores (docs/deploy.md): one process per core, and a few
# threads each so that one request's database wait overlaps another's Python work.
DEFAULT_WORKERS = max(os.cpu_count() or 1, 1)
DEFAULT_THREADS = 4


class ConsultServer(BaseApplication):
    """A gunicorn application that builds a fresh Consult app in every worker process."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        from consult import create_app

        return create_app()


def gunicorn_options(
    host: str,
    port: int,
    workers: int,
    threads: int,
    *,
    timeout: int = 60,
    access_log: bool = False,
    forwarded_allow_ips: str | None = None,
) -> dict[str, Any]:
    """The gunicorn settings ``consult serve`` uses (kept in one place so tests can read them)."""
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        # gthread keeps HTTP/1.1 connections alive, so clients (and proxies) reuse them.
        "worker_class": "gthread",
        "keepalive": 5,
        "timeout": timeout,
        "graceful_timeout": 30,
        # Connections each worker holds open at most (idle keep-alive ones included).
        "worker_connections": 1000,
        "backlog": 2048,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "forwarded_allow_ips": forwarded_allow_ips,
        # Worker heartbeats on tmpfs: a slow disk never makes a healthy worker look dead.
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
        "proc_name": "consult",
    }


def serve(host: str, port: int, workers: int, threads: int, **kwargs: Any) -> None:
    ConsultServer(gunicorn_options(host, port, workers, threads, **kwargs)).run()
