"""Abuse limits: participant creation, votes, statements, sign-in; login lockout.

Each limited endpoint counts its POSTs in sliding-window counters (the ``limits`` library's
storage and algorithm): in Redis when ``REDIS_URL`` (or ``CONSULT_RATELIMIT_STORAGE``) is set, so
limits hold across web processes; in memory otherwise. The limit strings are parsed once, when
the app is built; on Redis all the counters of a request are checked and counted in one round
trip (``HIT_IN_ORDER``), so a vote costs one round trip whatever the number of its limits.
Limits are attached here to the views of other packages, so the whole policy reads in one place
(``LIMITS``). One limiter per app (``app.extensions["consult_limiter"]``): its settings and
counters belong to that app, so test apps with and without limits never share counts.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from limits import RateLimitItem, parse_many
from limits.storage import RedisClusterStorage, RedisStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter

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

# Sliding-window counters of several limits in one round trip. They are taken in order and the
# first that is full stops the loop: later ones do not count a refused request (a participant
# hammering past their own limit does not use up their network's). KEYS holds the previous and
# the current window's key of each limit, ARGV its amount and window length in seconds; returns
# 0 when every counter took the request, else the 1-based number of the limit that refused it.
# The counters are those of the ``limits`` library's Redis storage (same keys, same expiry
# scheme: the current window's key lives two windows and, once less than one is left, becomes
# the previous window's key), so its strategy reads them for the Retry-After of a refusal.
HIT_IN_ORDER = """
for i = 1, #ARGV / 2 do
  local previous, current = KEYS[2 * i - 1], KEYS[2 * i]
  local amount = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i]) * 1000
  local current_ttl = redis.call('pttl', current)
  if current_ttl > 0 and current_ttl < window then
    redis.call('rename', current, previous)
    redis.call('set', current, 0, 'PX', current_ttl + window)
  end
  local previous_count = tonumber(redis.call('get', previous)) or 0
  local previous_ttl = math.max(redis.call('pttl', previous), 0)
  local current_count = tonumber(redis.call('get', current)) or 0
  if math.floor(previous_count * previous_ttl / window) + current_count + 1 > amount then
    return i
  end
  if redis.call('exists', current) == 1 then
    redis.call('incr', current)
  else
    redis.call('set', current, 1, 'PX', window * 2)
  end
end
return 0
"""


@dataclass(frozen=True)
class Rule:
    """One limit of an endpoint, parsed: how many per window, counted per whom, in which scope."""

    item: RateLimitItem
    key: Callable[[], str]  # client_ip or participant_key
    scope: str  # the shared scope, or the endpoint
    message: str
    only_new: bool


class Limiter:
    """The app's abuse limits: rules parsed once, counters in Redis or in memory.

    A storage that fails (Redis down) lets requests through and logs it, rather than failing
    them.
    """

    def __init__(self, app: Flask):
        config = app.config
        self.enabled = bool(config["RATELIMIT_ENABLED"])
        self.prefix = config["RATELIMIT_KEY_PREFIX"]
        self.storage = self.counters = self.lockouts = self._script = None
        if not self.enabled:
            return
        self.storage = storage_from_string(config["RATELIMIT_STORAGE_URI"])
        self.counters = SlidingWindowCounterRateLimiter(self.storage)
        self.lockouts = MovingWindowRateLimiter(self.storage)  # exact reset times for lockouts
        # A cluster spreads the keys of different limits over nodes: one script cannot reach them.
        if isinstance(self.storage, RedisStorage) and not isinstance(
            self.storage, RedisClusterStorage
        ):
            self._script = self.storage.get_connection().register_script(HIT_IN_ORDER)

    def rules(self, app: Flask, endpoint: str, specs: tuple[LimitSpec, ...]) -> tuple[Rule, ...]:
        """The endpoint's limits, shortest windows first (the order they are counted in)."""
        rules = [
            Rule(
                item,
                client_ip if spec.key == "ip" else participant_key,
                spec.shared_scope or endpoint,
                spec.message,
                spec.only_new,
            )
            for spec in specs
            for item in parse_many(app.config[spec.setting])
        ]
        return tuple(sorted(rules, key=lambda rule: rule.item.get_expiry()))

    def check(self, rules: tuple[Rule, ...]):
        """Count this request under each rule; the 429 answer if one refuses it, else None."""
        new = any(rule.only_new for rule in rules) and not _has_participant()
        counted = [
            (rule, (self.prefix, rule.key(), rule.scope))
            for rule in rules
            if new or not rule.only_new
        ]
        try:
            refused = self._hit([(rule.item, ids) for rule, ids in counted])
        except Exception:
            current_app.logger.exception("rate limit storage unreachable: request not limited")
            return None
        if refused is None:
            return None
        rule, ids = counted[refused]
        return too_many(_(rule.message), self._retry_after(rule.item, ids))

    def _hit(self, counts: list[tuple[RateLimitItem, tuple[str, ...]]]) -> int | None:
        """Count one hit on each counter in order, up to the first that is full: its index."""
        if self._script is None:
            for index, (item, ids) in enumerate(counts):
                if not self.counters.hit(item, *ids):
                    return index
            return None
        keys: list[str] = []
        args: list[int] = []
        for item, ids in counts:
            current = f"{self.storage.key_prefix}:{{{item.key_for(*ids)}}}"
            keys += [current + "/-1", current]
            args += [item.amount, item.get_expiry()]
        refused = int(self._script(keys=keys, args=args))
        return refused - 1 if refused else None

    def _retry_after(self, item: RateLimitItem, ids: tuple[str, ...]) -> int:
        """Seconds until the counter that refused a request lets one through again."""
        seconds = 60  # storage unreachable: a minute is a safe answer
        try:
            free_at = int(self.counters.get_window_stats(item, *ids).reset_time + 1)
            seconds = math.ceil(free_at - time.time())
        except Exception:
            current_app.logger.warning("could not read the rate limit's reset time")
        return max(int(seconds), 1)


def init_app(app: Flask) -> Limiter:
    limiter = Limiter(app)
    app.extensions["consult_limiter"] = limiter
    if not limiter.enabled:
        return limiter
    for endpoint, specs in LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            rules = limiter.rules(app, endpoint, specs)
            app.view_functions[endpoint] = _limited(view, limiter, rules)
    return limiter


def _limited(view, limiter: Limiter, rules: tuple[Rule, ...]):
    @wraps(view)
    def limited_view(*args, **kwargs):
        if request.method == "POST":
            refused = limiter.check(rules)
            if refused is not None:
                return refused
        return view(*args, **kwargs)

    return limited_view


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


def _strategy() -> MovingWindowRateLimiter | None:
    """A moving window over the limiter's storage: exact counts and reset times for lockouts."""
    limiter: Limiter | None = current_app.extensions.get("consult_limiter")
    if limiter is None or not limiter.enabled:
        return None
    return limiter.lockouts


def _account_key(email: str) -> tuple[str, str]:
    digest = hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]
    return (current_app.config["RATELIMIT_KEY_PREFIX"], "login-fail:" + digest)


def _address_key() -> tuple[str, str]:
    return (current_app.config["RATELIMIT_KEY_PREFIX"], "login-fail-ip:" + client_ip())


def login_locked(email: str) -> Lockout | None:
    """The lockout in force for this e-mail or this client's address, if any."""
    strategy = _strategy()
    if strategy is None:
        return None
    account, address = _lock_items(current_app)
    checks = (
        (account, _account_key(email), "account"),
        (address, _address_key(), "address"),
    )
    try:
        for item, key, scope in checks:
            if not strategy.test(item, *key):
                reset = strategy.get_window_stats(item, *key).reset_time
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
        strategy.hit(account, *_account_key(email))
        strategy.hit(address, *_address_key())
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
        strategy.clear(account, *_account_key(email))
    except Exception:
        current_app.logger.exception("login lockout storage unreachable: not cleared")
