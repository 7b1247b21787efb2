"""Security settings: read from the environment once, overridable in the app config (tests)."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

# Limits are "N per period" strings (as in Flask-Limiter); several are separated by ";".
DEFAULT_LIMITS = {
    # New anonymous participants per IP address (API and first vote/statement of a browser).
    # Generous: a community event may bring a room of people through one network address.
    "CONSULT_RATELIMIT_PARTICIPANTS": "60 per 10 minutes;600 per day",
    # Votes per participant, and from one IP address (many people may share one).
    "CONSULT_RATELIMIT_VOTES": "60 per minute;1500 per hour",
    "CONSULT_RATELIMIT_VOTES_PER_IP": "1200 per minute",
    # Statements per participant, and from one IP address.
    "CONSULT_RATELIMIT_STATEMENTS": "5 per minute;30 per hour",
    "CONSULT_RATELIMIT_STATEMENTS_PER_IP": "120 per hour",
    # Duplicate hints while typing (each runs the embedding model) per IP address.
    "CONSULT_RATELIMIT_HINTS": "60 per minute",
    # Sign-in attempts per IP address (failures also count towards the lockout below).
    "CONSULT_RATELIMIT_LOGIN": "20 per minute",
}

DEFAULTS: dict[str, Any] = {
    **DEFAULT_LIMITS,
    # Lockout: this many failed sign-ins within the window lock the account (or the IP address)
    # for the rest of the window.
    "CONSULT_LOGIN_MAX_FAILURES": 5,
    "CONSULT_LOGIN_MAX_FAILURES_PER_IP": 20,
    "CONSULT_LOGIN_LOCKOUT_MINUTES": 15,
    # Reverse proxies in front of Consult that set X-Forwarded-For / -Proto (0: none, so the
    # socket's address is the client's). Rate limits per IP need the real client address.
    "CONSULT_TRUSTED_PROXIES": 0,
    # When set, an xid sent to POST /api/v1/participants must come with
    # xid_signature = hex HMAC-SHA256(secret, xid): only the embedding site can name people.
    "CONSULT_XID_SECRET": None,
    # Suspicious bursts: at least this many participants, created within this many minutes of
    # each other, with identical votes on at least this many statements.
    "CONSULT_BURST_MIN_PARTICIPANTS": 5,
    "CONSULT_BURST_WINDOW_MINUTES": 10,
    "CONSULT_BURST_MIN_VOTES": 3,
    "CONSULT_BURST_LOOKBACK_DAYS": 30,
}

_INTS = {
    "CONSULT_LOGIN_MAX_FAILURES",
    "CONSULT_LOGIN_MAX_FAILURES_PER_IP",
    "CONSULT_LOGIN_LOCKOUT_MINUTES",
    "CONSULT_TRUSTED_PROXIES",
    "CONSULT_BURST_MIN_PARTICIPANTS",
    "CONSULT_BURST_WINDOW_MINUTES",
    "CONSULT_BURST_MIN_VOTES",
    "CONSULT_BURST_LOOKBACK_DAYS",
}


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def configure(app: Flask) -> None:
    """Fill in every security setting the app config does not already hold."""
    config = app.config
    for key, default in DEFAULTS.items():
        if key in config:
            continue
        raw = os.environ.get(key)
        if raw in (None, ""):
            config[key] = default
        elif key in _INTS:
            try:
                config[key] = int(raw)
            except ValueError:
                raise RuntimeError(f"{key} must be a whole number, not {raw!r}") from None
        else:
            config[key] = raw
    # Rate limits are on in production and off under TESTING, unless the config says otherwise
    # (the rate-limit tests turn them on). CONSULT_RATELIMIT_ENABLED=0 turns them off (load
    # benchmarks). Redis (REDIS_URL, or CONSULT_RATELIMIT_STORAGE) shares counts across processes.
    config.setdefault(
        "RATELIMIT_ENABLED", _flag("CONSULT_RATELIMIT_ENABLED", True) and not app.testing
    )
    storage = os.environ.get("CONSULT_RATELIMIT_STORAGE") or config.get("REDIS_URL")
    config.setdefault("RATELIMIT_STORAGE_URI", storage or "memory://")
    config.setdefault("RATELIMIT_KEY_PREFIX", "consult-limits")
    # HTTPS in production: cookies are Secure and browsers are told to use HTTPS only (HSTS).
    secure = bool(config.get("SESSION_COOKIE_SECURE"))
    config.setdefault("CONSULT_HSTS", _flag("CONSULT_HSTS", secure))
    config.setdefault("REMEMBER_COOKIE_SECURE", secure)
    config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
