"""Fixtures shared by the whole suite: paths to ../shared data and the embedding model (once)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CONSULT_SHARED_DIR", ROOT.parent / "shared"))
POLIS_DATASETS = SHARED / "datasets" / "polis"
POLIS_MATH = SHARED / "datasets" / "polis-math"


@pytest.fixture(autouse=True, scope="session")
def _instance_folder(tmp_path_factory) -> Iterator[Path]:
    """Tests never write into the developer's ``instance/`` (report PDF cache, generated secret)."""
    folder = tmp_path_factory.mktemp("instance")
    previous = os.environ.get("CONSULT_INSTANCE_PATH")
    os.environ["CONSULT_INSTANCE_PATH"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("CONSULT_INSTANCE_PATH", None)
    else:
        os.environ["CONSULT_INSTANCE_PATH"] = previous


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(
            f"shared data not found at {path} (set CONSULT_SHARED_DIR to the shared/ folder)"
        )
    return path


@pytest.fixture(scope="session")
def polis_datasets() -> Path:
    """The real Pol.is exports in ../shared/datasets/polis (skips when absent)."""
    return _require(POLIS_DATASETS)


@pytest.fixture(scope="session")
def polis_math() -> Path:
    """The Pol.is engine's computed outputs in ../shared/datasets/polis-math (skips when absent)."""
    return _require(POLIS_MATH)


@pytest.fixture(scope="session")
def embedder():
    """The real default sentence-embedding model, loaded once per test session."""
    from clustering.embeddings import default_embedder

    return default_embedder()


# --- The application on a real database: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _migrate(url: str, instance: Path) -> None:
    """Build the schema the way production does: by running every Alembic migration."""
    from flask_migrate import upgrade

    from consult import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        from consult.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("sqlite")
    url = f"sqlite:///{folder / 'consult-test.db'}"
    _migrate(url, folder)
    return url


@pytest.fixture(scope="session")
def postgresql_url(tmp_path_factory) -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    if not TEST_DATABASE_URL:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped (.ci/run sets it)")
    base = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    name = f"consult_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # server absent or refusing: say so and skip
        admin.dispose()
        pytest.skip(f"PostgreSQL at {base.render_as_string(hide_password=True)} unusable: {exc}")
    url = base.set(database=name).render_as_string(hide_password=False)
    _migrate(url, tmp_path_factory.mktemp("pg"))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def redis_url() -> Iterator[str]:
    """TEST_REDIS_URL (.ci/run: redis://127.0.0.1:6379/15), emptied before and after the test.

    Only that database number is flushed, never the whole server. Tests using it are marked
    ``redis``; they skip when TEST_REDIS_URL is not set or its server does not answer.
    """
    if not TEST_REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set: Redis tests skipped (.ci/run sets it)")
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except RedisError as exc:
        pytest.skip(f"Redis at {TEST_REDIS_URL} unusable: {exc}")
    yield TEST_REDIS_URL
    client.flushdb()
    client.close()


TRIGGERS_OF_TABLE = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"


def _empty_tables() -> None:
    from consult.extensions import db

    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                # Append-only tables (the audit log) refuse DELETE through a trigger: lift it.
                guards = conn.execute(
                    text(TRIGGERS_OF_TABLE),
                    {"t": name},
                ).all()
                for guard in guards:
                    conn.execute(text(f'DROP TRIGGER "{guard.name}"'))
                conn.execute(text(f"DELETE FROM {name}"))
                for guard in guards:
                    conn.execute(text(guard.sql))


def _make_app(url: str, **overrides):
    from consult import create_app

    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "CONSULT_JOBS_INLINE": True,
        "CONSULT_AUTO_RECOMPUTE": False,
        **overrides,
    }
    return create_app(config)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request):
    """The app on an empty, fully migrated database; runs once per database backend."""
    url = request.getfixturevalue(f"{request.param}_url")
    application = _make_app(url)
    with application.app_context():
        _empty_tables()
        yield application
        from consult.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Staff:
    """Create staff accounts and sign them in through the real login form."""

    PASSWORD = "correct horse battery"

    def __init__(self, client):
        self.client = client

    def create(self, role: str, email: str | None = None, name: str = ""):
        from consult.accounts.services import create_user

        return create_user(email or f"{role}@test.example", self.PASSWORD, role, name or role)

    def login(self, role: str, email: str | None = None):
        user = self.create(role, email)
        page = self.client.get("/login")
        response = self.client.post(
            "/login",
            data={
                "email": user.email,
                "password": self.PASSWORD,
                "csrf_token": csrf_from(page.text),
            },
        )
        assert response.status_code == 302, response.text
        return user


@pytest.fixture
def staff(client) -> Staff:
    return Staff(client)


@pytest.fixture
def make_phase(app):
    """Factory: a consultation with one phase (open by default) and some seed statements."""
    from consult.consultations.models import PhaseState
    from consult.consultations.services import add_phase, create_consultation, set_phase_state
    from consult.participation.services import add_seed_statement

    counter = iter(range(1, 10_000))

    def factory(
        n_statements: int = 3, *, state: str = "open", strict: bool = True, slug: str | None = None
    ):
        n = next(counter)
        consultation = create_consultation(slug or f"test-{n}", f"Test consultation {n}")
        phase = add_phase(
            consultation, "Relevance and role", "What matters?", strict_moderation=strict
        )
        if state != "draft":
            set_phase_state(phase, PhaseState.OPEN)
        for i in range(n_statements):
            add_seed_statement(phase, f"Seed statement number {i + 1} about open government.")
        if state in ("closed", "published"):
            set_phase_state(phase, PhaseState.CLOSED)
        return phase

    return factory
