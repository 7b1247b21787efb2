"""Load test: gunicorn + PostgreSQL (and SQLite) under many concurrent voters; no vote lost.

Run ``.venv/bin/python benchmarks/load.py`` (both databases) or ``--backend postgresql``.
For each database it

1. creates a fresh database (PostgreSQL: a new database on ``--pg-url``; SQLite: a file in a
   temporary folder), applies the migrations and seeds one open phase with ``--statements``
   statements;
2. starts ``consult serve`` (gunicorn) on 127.0.0.1 with ``--workers`` x ``--threads``. The
   PostgreSQL run is production mode: with Redis at ``--redis-url`` (default database 14 of the
   local Redis) it also starts one ``consult worker``, so the recomputes that votes ask for run
   on RQ; the SQLite run (and PostgreSQL without Redis) is the embedded mode, where they run in
   a thread of each web process;
3. creates ``--participants`` participants through ``POST /api/v1/participants``;
4. lets ``--clients`` concurrent clients vote for ``--duration`` seconds. Each client holds one
   keep-alive HTTP/1.1 connection (raw asyncio, so the load generator stays cheap on the cores it
   shares with the server) and votes as one participant after another, each on every statement
   once, in a random order, with a random agree / disagree / pass;
5. stops the server and checks the database: every acknowledged vote (HTTP 200 whose body echoes
   it) is in ``votes`` with its value and has exactly one ``vote_history`` row; a vote that was
   sent but not acknowledged (error, timeout) is stored at most once; nothing else is stored.

Prints one line per figure: throughput (acknowledged votes/s), latency p50/p95/p99, errors (5xx,
other statuses, connection errors), lost, duplicated and unexpected votes, CPU per vote by process
(web, PostgreSQL backends, load generator) and the disk's commit latency, with the targets of
issue 8 beside them (2 cores: >= 800 votes/s and p99 <= 100 ms on PostgreSQL, >= 300 votes/s on
SQLite, zero lost or duplicated votes, zero 5xx). Exits non-zero when a correctness check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CONSULT = str(Path(sys.executable).with_name("consult"))

TARGETS = {
    "postgresql": {"throughput": 800.0, "p99_ms": 100.0},
    "sqlite": {"throughput": 300.0, "p99_ms": None},
}
WORDS = ("agree", "disagree", "pass")
LIMITS_OUT_OF_REACH = (
    "CONSULT_RATELIMIT_PARTICIPANTS",
    "CONSULT_RATELIMIT_VOTES",
    "CONSULT_RATELIMIT_VOTES_PER_IP",
)
# Production mode's queue for the PostgreSQL run (database 14: the tests use 15).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


# --- a minimal HTTP/1.1 keep-alive client --------------------------------------------------------


class HttpConnection:
    """One persistent HTTP/1.1 connection; requests are sent one after another on it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{headers}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
            status = int(raw[9:12])
            length, close = 0, False
            for line in raw.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            payload = await self.reader.readexactly(length) if length else b""
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, payload

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    acked: dict[tuple[str, int], int] = field(default_factory=dict)
    unacked: set[tuple[str, int]] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0
    measured_from: float = 0.0
    measured_to: float = 0.0


async def create_participants(host: str, port: int, n: int, concurrency: int = 16) -> list[str]:
    tokens: list[str] = []
    remaining = iter(range(n))

    async def worker() -> None:
        conn = HttpConnection(host, port)
        for _ in remaining:
            status, body = await conn.request("POST", "/api/v1/participants", b"{}")
            if status != 201:
                raise RuntimeError(f"creating a participant answered {status}: {body[:200]!r}")
            tokens.append(json.loads(body)["token"])
        conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tokens


async def vote_for(
    host: str,
    port: int,
    phase_id: int,
    tokens: list[str],
    statement_ids: list[int],
    clients: int,
    duration: float,
    warmup: float,
    seed: int,
) -> Tally:
    tally = Tally()
    rng = random.Random(seed)
    queue = iter(tokens)
    path = f"/api/v1/phases/{phase_id}/votes"
    start = time.perf_counter()
    tally.measured_from = start + warmup
    deadline = tally.measured_from + duration

    async def client() -> None:
        conn = HttpConnection(host, port)
        for token in queue:
            auth = f"Authorization: Bearer {token}\r\n"
            order = statement_ids[:]
            rng.shuffle(order)
            for sid in order:
                now = time.perf_counter()
                if now >= deadline:
                    conn.close()
                    return
                word = WORDS[rng.randrange(3)]
                body = b'{"statement_id": %d, "vote": "%s"}' % (sid, word.encode())
                try:
                    status, payload = await conn.request("POST", path, body, auth)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    tally.connection_errors += 1
                    tally.unacked.add((token, sid))
                    continue
                took = time.perf_counter() - now
                tally.statuses[status] += 1
                ok = status == 200 and json.loads(payload) == {"statement_id": sid, "vote": word}
                if ok:
                    tally.acked[(token, sid)] = {"agree": 1, "disagree": -1, "pass": 0}[word]
                else:
                    tally.unacked.add((token, sid))
                if now >= tally.measured_from:
                    tally.latencies.append(took)
        conn.close()
        raise RuntimeError("ran out of participants: raise --participants")

    await asyncio.gather(*(client() for _ in range(clients)))
    tally.measured_to = time.perf_counter()
    return tally


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


# --- database and processes ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(url: str, n_statements: int) -> tuple[int, list[int]]:
    """Migrate ``url`` and seed one open phase (moderation not strict) with statements."""
    from flask_migrate import upgrade

    from consult import create_app
    from consult.consultations.models import PhaseState
    from consult.consultations.services import add_phase, create_consultation, set_phase_state
    from consult.extensions import db
    from consult.participation.services import add_seed_statement

    # No analysis or theme refresh from the seeding: it would run in this (load generator)
    # process during the measurement. The server asks for recomputes as votes arrive.
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "CONSULT_JOBS_INLINE": True,
            "CONSULT_AUTO_RECOMPUTE": False,
            "CONSULT_AUTO_THEMES": False,
            "SECRET_KEY": "load",
        }
    )
    with app.app_context():
        upgrade()
        consultation = create_consultation("load-test", "Load test")
        phase = add_phase(consultation, "Voting under load", strict_moderation=False)
        set_phase_state(phase, PhaseState.OPEN)
        ids = [
            add_seed_statement(phase, f"Load-test statement number {i + 1} on open government.").id
            for i in range(n_statements)
        ]
        phase_id = phase.id
        db.session.remove()
        db.engine.dispose()
    return phase_id, ids


def commit_latency(url: str, n: int = 40) -> float:
    """Median milliseconds of one durable single-row commit: the disk's flush time, which bounds
    how many votes a handful of concurrent transactions can commit per second."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    times = []
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE load_commit_probe (x integer)"))
        for i in range(n):
            start = time.perf_counter()
            conn.execute(text("INSERT INTO load_commit_probe VALUES (:x)"), {"x": i})
            times.append((time.perf_counter() - start) * 1000)
        conn.execute(text("DROP TABLE load_commit_probe"))
    engine.dispose()
    return sorted(times)[n // 2]


def wait_until_serving(
    host: str, port: int, process: subprocess.Popen, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=1) as sock:
                sock.sendall(b"GET /api/v1/consultations HTTP/1.1\r\nHost: x\r\n\r\n")
                if sock.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer on {host}:{port} within {timeout} s")


def cpu_seconds(group: int | None = None, title: str | None = None) -> float:
    """CPU time (user + system) of the live processes in process group ``group``, or of those
    whose command line contains ``title`` (PostgreSQL backends show their database there)."""
    if group is None and title is None:
        return 0.0
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if title is not None:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if title.encode() not in f.read():
                        continue
            elif int(fields[2]) != group:  # pgrp
                continue
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def redis_answers(url: str) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except RedisError:
        return False
    finally:
        client.close()


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def verify(url: str, phase_id: int, tally: Tally) -> dict[str, int]:
    """Compare what the clients were told with what the database holds."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT token_hash, id FROM participants")).all())
        stored = {
            (p, s): v
            for p, s, v in conn.execute(
                text(
                    "SELECT v.participant_id, v.statement_id, v.value FROM votes v "
                    "JOIN statements s ON s.id = v.statement_id WHERE s.phase_id = :p"
                ),
                {"p": phase_id},
            )
        }
        history = Counter(
            {
                (p, s): n
                for p, s, n in conn.execute(
                    text(
                        "SELECT h.participant_id, h.statement_id, count(*) FROM vote_history h "
                        "JOIN statements s ON s.id = h.statement_id WHERE s.phase_id = :p "
                        "GROUP BY h.participant_id, h.statement_id"
                    ),
                    {"p": phase_id},
                )
            }
        )
    engine.dispose()

    def key(token: str, sid: int) -> tuple[int, int]:
        return ids.get(hashlib.sha256(token.encode()).hexdigest(), -1), sid

    acked = {key(t, s): v for (t, s), v in tally.acked.items()}
    unacked = {key(t, s) for t, s in tally.unacked}
    lost = sum(1 for k, v in acked.items() if stored.get(k) != v)
    duplicated = sum(1 for n in history.values() if n > 1)
    unexpected = sum(1 for k in stored if k not in acked and k not in unacked)
    unexpected += sum(1 for k in history if k not in stored)
    return {
        "lost": lost,
        "duplicated": duplicated,
        "unexpected": unexpected,
        "unacked_stored": sum(1 for k in unacked if k in stored),
        "stored": len(stored),
    }


def run_backend(backend: str, args: argparse.Namespace) -> bool:
    tmp = Path(tempfile.mkdtemp(prefix=f"consult-load-{backend}-"))
    admin = None
    name = None
    server = worker = None
    try:
        if backend == "postgresql":
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            base = make_url(args.pg_url).set(drivername="postgresql+psycopg")
            name = f"consult_load_{uuid.uuid4().hex[:8]}"
            admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = base.set(database=name).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{tmp / 'load.db'}"
        phase_id, statement_ids = prepare_database(url, args.statements)
        flush_ms = commit_latency(url) if backend == "postgresql" else None

        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "load-test",
            "CONSULT_INSTANCE_PATH": str(tmp),
            # Abuse limits stay on (their counting is part of a vote's cost), set out of reach:
            # every client here shares one address and votes far faster than a person.
            **{key: "1000000 per minute" for key in LIMITS_OUT_OF_REACH},
            "CONSULT_RATELIMIT_ENABLED": "1" if args.limits == "on" else "0",
        }
        env.pop("REDIS_URL", None)
        if args.redis_url and backend == "postgresql":
            env["REDIS_URL"] = args.redis_url
        log = open(tmp / "server.log", "w")  # noqa: SIM115 (closed with the folder)
        if "REDIS_URL" in env:
            worker = subprocess.Popen(
                [CONSULT, "worker"], env=env, stdout=log, stderr=log, start_new_session=True
            )
        port = free_port()
        server = subprocess.Popen(
            [CONSULT, "serve", "--host", "127.0.0.1", "--port", str(port)]
            + ["--workers", str(args.workers), "--threads", str(args.threads)],
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        wait_until_serving("127.0.0.1", port, server)
        tokens = asyncio.run(create_participants("127.0.0.1", port, args.participants))
        load_before = os.getloadavg()[0]
        cpu_before = (
            cpu_seconds(server.pid),
            cpu_seconds(worker.pid if worker else None),
            time.process_time(),
            cpu_seconds(title=f"postgres {name} ") if name else 0.0,
        )
        tally = asyncio.run(
            vote_for(
                "127.0.0.1",
                port,
                phase_id,
                tokens,
                statement_ids,
                args.clients,
                args.duration,
                args.warmup,
                args.seed,
            )
        )
        cpu_after = (
            cpu_seconds(server.pid),
            cpu_seconds(worker.pid if worker else None),
            time.process_time(),
            cpu_seconds(title=f"postgres {name} ") if name else 0.0,
        )
        stop(server)
        stop(worker)
        checks = verify(url, phase_id, tally)
    finally:
        stop(server)
        stop(worker)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    seconds = tally.measured_to - tally.measured_from
    measured = len(tally.latencies)
    throughput = measured / seconds
    ms = [x * 1000 for x in tally.latencies]
    p50, p95, p99 = (percentile(ms, q) for q in (50, 95, 99))
    five = sum(n for s, n in tally.statuses.items() if s >= 500)
    other = sum(n for s, n in tally.statuses.items() if s != 200 and s < 500)
    target = TARGETS[backend]
    mode = "RQ worker" if worker else "in-process job thread"
    label = f"load {backend}"
    print(
        f"{label} setup: gunicorn {args.workers} workers x {args.threads} threads, {mode}, "
        f"abuse limits {args.limits}, "
        f"{args.clients} clients, {args.duration:g} s measured after {args.warmup:g} s warm-up, "
        f"{args.participants} participants x {args.statements} statements, {os.cpu_count()} CPUs"
    )
    print(f"{label} throughput: {throughput:.0f} votes/s (target >= {target['throughput']:.0f})")
    print(f"{label} latency p50: {p50:.1f} ms")
    print(f"{label} latency p95: {p95:.1f} ms")
    p99_target = f" (target <= {target['p99_ms']:.0f})" if target["p99_ms"] else ""
    print(f"{label} latency p99: {p99:.1f} ms{p99_target}")
    print(f"{label} votes acknowledged: {len(tally.acked)} (stored rows: {checks['stored']})")
    # CPU per vote over the whole voting run (warm-up included), by who spent it.
    sent = sum(tally.statuses.values()) + tally.connection_errors
    web, jobs, client, database = (
        after - before for after, before in zip(cpu_after, cpu_before, strict=True)
    )
    backends = f", PostgreSQL backends {database / sent * 1000:.2f} ms" if name else ""
    print(
        f"{label} CPU per vote: web {web / sent * 1000:.2f} ms{backends}, load generator "
        f"{client / sent * 1000:.2f} ms; job worker {jobs:.1f} s in all; "
        f"load average before {load_before:.1f}"
    )
    if flush_ms is not None:
        print(f"{label} commit latency (one durable commit, before the run): {flush_ms:.1f} ms")
    print(f"{label} errors 5xx: {five} (target 0)")
    print(f"{label} errors other status: {other}; connection errors: {tally.connection_errors}")
    print(f"{label} lost votes: {checks['lost']} (target 0)")
    print(f"{label} duplicated votes: {checks['duplicated']} (target 0)")
    print(
        f"{label} unexpected votes: {checks['unexpected']} (target 0); unacknowledged but "
        f"stored once: {checks['unacked_stored']}"
    )
    ok = not (checks["lost"] or checks["duplicated"] or checks["unexpected"] or five)
    if ok:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"{label} server log kept in {tmp / 'server.log'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--statements", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per process")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--limits",
        choices=("on", "off"),
        default="on",
        help="abuse limits (rate limiting) on the vote path, counted but out of reach; 'off' "
        "measures the vote path without them",
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("TEST_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server where a scratch database may be created",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("LOAD_REDIS_URL", DEFAULT_REDIS_URL),
        help="production mode for the PostgreSQL run: REDIS_URL for the server and one "
        "`consult worker` (default %(default)s when it answers; '' runs jobs in the web "
        "processes' threads, the embedded mode)",
    )
    args = parser.parse_args(argv)
    if args.redis_url and not redis_answers(args.redis_url):
        print(f"load: no Redis at {args.redis_url}; jobs run in the web processes instead")
        args.redis_url = ""
    backends = ("postgresql", "sqlite") if args.backend == "both" else (args.backend,)
    ok = True
    for backend in backends:
        ok = run_backend(backend, args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
