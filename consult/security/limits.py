"""Abuse limits (Flask-Limiter): participant creation, votes, statements, sign-in; login lockout.

One limiter per app (kept in ``app.extensions["consult_limiter"]``): its settings and counters
belong to that app, so test apps with and without limits never share counts. Counters live in
Redis when ``REDIS_URL`` (or ``CONSULT_RATELIMIT_STORAGE``) is set, so limits hold across web
processes; in memory otherwise. Limits are attached here to the views of other packages, so the
whole policy reads in one place (``LIMITS``).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many

from consult.participation.identity import COOKIE_NAME


def client_ip() -> str:
    """The client's address (behind trusted proxies, ProxyFix has already put it here)."""
    return request.remote_addr or "unknown"


def _token() -> str | None:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(COOKIE_NAME) or None


def participant_key() -> str:
    """Rate-limit key of the participant sending the request (their token or cookie, hashed);
    the IP address for a request that carries neither."""
    token = _token()
    if token:
        return "p:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return "ip:" + client_ip()


def _has_participant() -> bool:
    """True when the request comes from a known participant (it creates nobody)."""
    if request.headers.get("Authorization"):
        return True  # API calls other than POST /participants never create participants
    from consult.participation.identity import current_participant

    return current_participant() is not None


@dataclass(frozen=True)
class LimitSpec:
    setting: str  # the config key holding the limit string
    key: str  # "ip" or "participant"
    message: str  # what the 429 tells the person (msgid, translated when shown)
    shared_scope: str | None = None  # counts shared across endpoints
    only_new: bool = False  # counts only requests that would create a participant


def N_(message: str) -> str:
    return message


NEW_PARTICIPANT = LimitSpec(
    "CONSULT_RATELIMIT_PARTICIPANTS",
    "ip",
    N_("Too many new participants from your network in a short time."),
    shared_scope="new-participant",
    only_new=True,
)
VOTES = LimitSpec(
    "CONSULT_RATELIMIT_VOTES",
    "participant",
    N_("You are voting very fast."),
    shared_scope="votes",  # the phase page and the duplicate hints count together
)
VOTES_IP = LimitSpec(
    "CONSULT_RATELIMIT_VOTES_PER_IP",
    "ip",
    N_("Too many votes from your network in a short time."),
    shared_scope="votes-ip",
)
STATEMENTS = LimitSpec(
    "CONSULT_RATELIMIT_STATEMENTS",
    "participant",
    N_("You have added many statements in a short time."),
    shared_scope="statements",
)
STATEMENTS_IP = LimitSpec(
    "CONSULT_RATELIMIT_STATEMENTS_PER_IP",
    "ip",
    N_("Too many statements from your network in a short time."),
    shared_scope="statements-ip",
)
HINTS = LimitSpec("CONSULT_RATELIMIT_HINTS", "ip", N_("Too many requests in a short time."))
LOGIN = LimitSpec("CONSULT_RATELIMIT_LOGIN", "ip", N_("Too many sign-in attempts."))

# endpoint → limits (POST only: pages that show a form are never limited).
LIMITS: dict[str, tuple[LimitSpec, ...]] = {
    "api.create_participant": (
        LimitSpec(NEW_PARTICIPANT.setting, "ip", NEW_PARTICIPANT.message, "new-participant"),
    ),
    "participation.vote": (NEW_PARTICIPANT, VOTES, VOTES_IP),
    "themes.hint_vote": (NEW_PARTICIPANT, VOTES, VOTES_IP),
    "api.vote": (VOTES, VOTES_IP),
    "participation.add_statement": (NEW_PARTICIPANT, STATEMENTS, STATEMENTS_IP),
    "api.add_statement": (STATEMENTS, STATEMENTS_IP),
    "themes.similar": (HINTS,),
    "accounts.login": (LOGIN,),
}


def init_app(app: Flask) -> Limiter:
    limiter = Limiter(key_func=client_ip, storage_uri=app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)
    app.extensions["consult_limiter"] = limiter
    if not limiter.enabled:
        return limiter
    for endpoint, specs in LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            continue
        for spec in specs:
            view = _decorate(limiter, app, spec, endpoint)(view)
        app.view_functions[endpoint] = view
    return limiter


def _decorate(limiter: Limiter, app: Flask, spec: LimitSpec, endpoint: str):
    value = app.config[spec.setting]
    key = client_ip if spec.key == "ip" else participant_key
    message = _message_for(spec.message)
    exempt = _has_participant if spec.only_new else None
    scope = spec.shared_scope
    if scope:
        return limiter.shared_limit(
            value,
            scope=scope,
            key_func=key,
            methods=["POST"],
            error_message=message,
            exempt_when=exempt,
        )
    return limiter.limit(
        value, key_func=key, methods=["POST"], error_message=message, exempt_when=exempt
    )


def _message_for(msgid: str):
    return lambda: _(msgid)


def retry_after_seconds() -> int:
    """Seconds until the limit that refused this request lets a request through again."""
    limiter: Limiter | None = current_app.extensions.get("consult_limiter")
    seconds = 60
    if limiter is not None:
        try:
            limit = limiter.current_limit
            if limit is not None:
                seconds = math.ceil(limit.reset_at - time.time())
        except Exception:  # storage unreachable: a minute is a safe answer
            current_app.logger.warning("could not read the rate limit's reset time")
    return max(int(seconds), 1)


def wait_phrase(seconds: int) -> str:
    if seconds < 120:
        return ngettext(
            "Please try again in %(num)d second.", "Please try again in %(num)d seconds.", seconds
        )
    minutes = math.ceil(seconds / 60)
    return ngettext(
        "Please try again in %(num)d minute.", "Please try again in %(num)d minutes.", minutes
    )


def too_many(message: str, seconds: int, detail: dict | None = None):
    """The 429 answer: JSON for the API, an alert fragment for htmx, else the error page."""
    full = f"{message} {wait_phrase(seconds)}"
    headers = {"Retry-After": str(seconds)}
    if request.path.startswith("/api/"):
        body = {"error": full, "detail": {"retry_after": seconds, **(detail or {})}}
        return jsonify(body), 429, headers
    if request.headers.get("HX-Request") == "true":
        html = render_template("security/_too_many.html", message=full)
        headers |= {"HX-Retarget": "#main", "HX-Reswap": "afterbegin"}
        return html, 429, headers
    page = render_template("error.html", status=429, title=_("Too many requests"), message=full)
    return page, 429, headers


def register_errorhandler(app: Flask) -> None:
    @app.errorhandler(RateLimitExceeded)
    def rate_limited(exc: RateLimitExceeded):
        g.rate_limited = True
        message = exc.description or _("Too many requests in a short time.")
        return too_many(message, retry_after_seconds())


# --- login lockout ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    seconds: int
    scope: str  # "account" or "address"

    def message(self) -> str:
        if self.scope == "account":
            text = _("Too many failed sign-ins for this account: it is locked for a while.")
        else:
            text = _("Too many failed sign-ins from your network: signing in is paused.")
        return f"{text} {wait_phrase(self.seconds)}"


def _lock_items(app: Flask):
    minutes = int(app.config["CONSULT_LOGIN_LOCKOUT_MINUTES"])
    account = parse_many(f"{int(app.config['CONSULT_LOGIN_MAX_FAILURES'])} per {minutes} minutes")
    address = parse_many(
        f"{int(app.config['CONSULT_LOGIN_MAX_FAILURES_PER_IP'])} per {minutes} minutes"
    )
    return account[0], address[0]


def _strategy():
    """A moving window over the limiter's storage: exact counts and reset times for lockouts."""
    limiter: Limiter | None = current_app.extensions.get("consult_limiter")
    if limiter is None or not limiter.enabled:
        return None
    strategy = current_app.extensions.get("consult_lockout")
    if strategy is None:
        from limits.strategies import MovingWindowRateLimiter

        strategy = MovingWindowRateLimiter(limiter.storage)
        current_app.extensions["consult_lockout"] = strategy
    return strategy


def _account_key(email: str) -> str:
    return "login-fail:" + hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


def login_locked(email: str) -> Lockout | None:
    """The lockout in force for this e-mail or this client's address, if any."""
    strategy = _strategy()
    if strategy is None:
        return None
    account, address = _lock_items(current_app)
    checks = (
        (account, _account_key(email), "account"),
        (address, "login-fail-ip:" + client_ip(), "address"),
    )
    try:
        for item, key, scope in checks:
            if not strategy.test(item, key):
                reset = strategy.get_window_stats(item, key).reset_time
                return Lockout(max(math.ceil(reset - time.time()), 1), scope)
    except Exception:
        current_app.logger.exception("login lockout storage unreachable: not enforced")
    return None


def login_failed(email: str) -> Lockout | None:
    """Count a failed sign-in; returns the lockout it starts, if it starts one."""
    strategy = _strategy()
    if strategy is None:
        return None
    account, address = _lock_items(current_app)
    try:
        strategy.hit(account, _account_key(email))
        strategy.hit(address, "login-fail-ip:" + client_ip())
    except Exception:
        current_app.logger.exception("login lockout storage unreachable: not counted")
        return None
    return login_locked(email)


def login_succeeded(email: str) -> None:
    """A right password clears the account's failures (not the address's)."""
    strategy = _strategy()
    if strategy is None:
        return
    account, _address = _lock_items(current_app)
    try:
        strategy.clear(account, _account_key(email))
    except Exception:
        current_app.logger.exception("login lockout storage unreachable: not cleared")
