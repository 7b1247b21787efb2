"""Configuration read from the environment, with safe defaults for the embedded (SQLite) mode."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def instance_path() -> Path:
    """Where the SQLite database and the generated secret key live (``instance/`` by default)."""
    return Path(os.environ.get("CONSULT_INSTANCE_PATH", PROJECT_ROOT / "instance")).resolve()


def _secret_key(folder: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url(folder: Path) -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{folder / 'consult.db'}")
    # Heroku-style URLs and plain "postgresql://" both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("postgresql") and "connect_timeout=" not in url:
        # An unreachable server fails a request in seconds (a 503), not after the TCP timeout.
        url += ("&" if "?" in url else "?") + "connect_timeout=5"
    return url


def load_config() -> dict[str, object]:
    """Build the Flask config mapping from the environment."""
    folder = instance_path()
    return {
        "SECRET_KEY": _secret_key(folder),
        "SQLALCHEMY_DATABASE_URI": _database_url(folder),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "CONSULT_EMBEDDING_MODEL": os.environ.get("CONSULT_EMBEDDING_MODEL") or None,
        # Uploads (community notes) are capped at 5 MB; allow a little for the multipart envelope.
        "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("CONSULT_SECURE_COOKIES", "0") == "1",
        "WTF_CSRF_TIME_LIMIT": None,
        # Jobs (analysis recomputes) run in a thread of the web process unless REDIS_URL is set.
        "CONSULT_JOBS_INLINE": False,
        # New votes ask for a (debounced) recompute of their phase's analysis.
        "CONSULT_AUTO_RECOMPUTE": True,
    }
