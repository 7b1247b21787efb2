"""Interface languages (English, French, Spanish): locale choice, switcher, dates and numbers.

The locale of a request is, in order: the language the person chose with the switcher (kept in the
``consult_lang`` cookie for a year), else the best match of the browser's ``Accept-Language``
among :data:`LANGUAGES`, else English. The JSON API always answers in English (its error messages
are for programmers and scripts match on them). Times are stored in UTC and shown in UTC.

Templates get ``_()``/``ngettext()`` (Flask-Babel), ``current_language``, ``languages`` and
``localized(obj, field)`` (a consultation's or phase's title or description in the reader's
language, falling back to the original), and the filters ``date``, ``datetime``, ``number`` and
``percent``, which format for the locale. Code outside a request (jobs, commands, reports built
offline) renders in English unless it wraps the work in ``flask_babel.force_locale(code)``.

Catalogues live in ``translations/<code>/LC_MESSAGES/messages.po``; ``make translations``
extracts, updates and compiles them, and ``make install`` compiles them (see docs/languages.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, has_request_context, redirect, request, url_for
from flask_babel import (
    Babel,
    force_locale,
    format_date,
    format_decimal,
    format_percent,
    get_locale,
    refresh,
)
from markupsafe import Markup, escape

from consult.config import PROJECT_ROOT

#: Interface languages, each named in its own language (what the switcher shows).
LANGUAGES: dict[str, str] = {"en": "English", "fr": "Français", "es": "Español"}
DEFAULT_LANGUAGE = "en"
COOKIE_NAME = "consult_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"

#: Names of statement languages that moderators can choose from (ISO 639-1), in English; the
#: interface shows them in the reader's language through Babel's CLDR data.
STATEMENT_LANGUAGES = ("en", "fr", "es", "pt", "de", "ru", "ar", "it", "nl", "sw", "zh")

babel = Babel()
bp = Blueprint("i18n", __name__)

__all__ = [
    "LANGUAGES",
    "STATEMENT_LANGUAGES",
    "force_locale",
    "current_language",
    "language_name",
    "localized",
    "init_app",
]


def select_locale() -> str:
    """Locale of the current request: remembered choice, else Accept-Language, else English."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if request.path.startswith("/api/"):
        return DEFAULT_LANGUAGE
    chosen = request.cookies.get(COOKIE_NAME, "")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES), DEFAULT_LANGUAGE)


def current_language() -> str:
    """Two-letter code of the interface language now in force ("en" outside a request)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def language_name(code: str | None, in_language: str | None = None) -> str:
    """``"fr"`` → "French" ("français" in French): a language's name in the reader's language,
    cased as in running text (CLDR)."""
    from babel import Locale, UnknownLocaleError

    if not code:
        return ""
    try:
        name = Locale.parse(code).get_display_name(in_language or current_language())
    except (ValueError, UnknownLocaleError):
        return code
    return name or code


@dataclass(frozen=True)
class LocalizedText:
    """A text in the reader's language if a translation exists, else the original (``lang``)."""

    text: str
    lang: str
    translated: bool

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        return str(escape(self.text))

    @property
    def lang_attr(self) -> Markup:
        """` lang="xx"` when the text is not in the page's language (for screen readers)."""
        if self.lang and self.lang != current_language():
            return Markup(' lang="{}"').format(self.lang)
        return Markup("")


def localized(obj, field: str, language: str | None = None) -> LocalizedText:
    """``obj.<field>`` in ``language`` (default: the reader's) from ``obj.translations``.

    ``obj`` is a Consultation or a Phase: ``translations`` maps a language code to a dict of
    translated fields, e.g. ``{"fr": {"title": "...", "description": "..."}}``. A missing or
    empty translation falls back to the original, written in the consultation's first language.
    """
    language = language or current_language()
    consultation = getattr(obj, "consultation", obj)
    original_lang = getattr(consultation, "default_language", DEFAULT_LANGUAGE)
    original = getattr(obj, field) or ""
    if language != original_lang:
        text = ((getattr(obj, "translations", None) or {}).get(language) or {}).get(field)
        if text:
            return LocalizedText(text, language, True)
    return LocalizedText(original, original_lang, False)


# --- formatting filters -------------------------------------------------------------------------

_STRFTIME_TO_CLDR = {
    "%-d": "d",
    "%d": "dd",
    "%B": "MMMM",
    "%b": "MMM",
    "%m": "MM",
    "%Y": "yyyy",
    "%H": "HH",
    "%M": "mm",
    "%S": "ss",
    "%A": "EEEE",
    "%a": "EEE",
}


def _cldr_pattern(fmt: str) -> str:
    """A strftime format (as older templates pass) as a CLDR pattern, so names are localised."""
    out, i = [], 0
    while i < len(fmt):
        for token in ("%-d", *(k for k in _STRFTIME_TO_CLDR if k != "%-d")):
            if fmt.startswith(token, i):
                out.append(_STRFTIME_TO_CLDR[token])
                i += len(token)
                break
        else:
            char = fmt[i]
            out.append(f"'{char}'" if char.isalpha() else ("''" if char == "'" else char))
            i += 1
    return "".join(out)


def format_date_filter(value: date | datetime | None, fmt: str | None = None) -> str:
    """``{{ d|date }}`` → "5 janvier 2026" in French; ``fmt`` is short/medium/long/full, a CLDR
    pattern, or (for older templates) a strftime format."""
    if not value:
        return ""
    if fmt and "%" in fmt:
        fmt = _cldr_pattern(fmt)
    return format_date(value, fmt or "long")


def format_datetime_filter(value: datetime | None, fmt: str | None = None) -> str:
    """``{{ t|datetime }}`` → "5 janv. 2026, 14:30 UTC" (stored times are naive UTC)."""
    if not value:
        return ""
    locale = get_locale() or DEFAULT_LANGUAGE
    if fmt and "%" in fmt:
        return format_skeleton_or_pattern(value, _cldr_pattern(fmt), locale)
    if fmt:
        return format_skeleton_or_pattern(value, fmt, locale)
    from babel import Locale
    from babel.dates import format_date as babel_date
    from babel.dates import format_time as babel_time

    locale = Locale.parse(locale)
    day = babel_date(value, "medium", locale=locale)
    clock = babel_time(value, "HH:mm", locale=locale)
    return f"{locale.datetime_formats['medium'].format(clock, day)} UTC"


def format_skeleton_or_pattern(value: datetime, fmt: str, locale) -> str:
    from babel.dates import format_datetime as babel_format_datetime

    if fmt in ("short", "medium", "long", "full"):
        return babel_format_datetime(value, fmt, tzinfo=None, locale=locale)
    return babel_format_datetime(value, fmt, locale=locale)


def format_number_filter(value, digits: int | None = None) -> str:
    """``{{ 12345|number }}`` → "12,345" / "12 345" / "12.345" by locale."""
    if value is None:
        return ""
    if digits is not None:
        return format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0")
    return format_decimal(value)


def format_percent_filter(value: float | None) -> str:
    """``{{ 0.42|percent }}`` → "42%" / "42 %" by locale (a share between 0 and 1, rounded)."""
    if value is None:
        return ""
    return format_percent(value)


# --- the switcher ------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after switching (no open redirect)."""
    if not target:
        return url_for("consultations.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("consultations.home")
    return target


@bp.get("/language/<code>")
def set_language(code: str):
    """Remember ``code`` as this browser's interface language and go back to ``next``.

    A plain link (no JavaScript, no form), so it also works as a shareable invitation:
    ``/language/fr?next=/c/demo/`` opens the consultation in French.
    """
    response = redirect(_safe_next(request.args.get("next")), code=303)
    if code in LANGUAGES:
        response.set_cookie(
            COOKIE_NAME,
            code,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response


def switcher_next() -> str:
    """The address to come back to after switching: this page, unless it only answers POST."""
    if request.method != "GET" or request.endpoint in (None, "i18n.set_language"):
        return url_for("consultations.home")
    path = request.full_path
    return path[:-1] if path.endswith("?") else path


def init_app(app: Flask) -> None:
    """Configure Flask-Babel, the switcher route, template helpers and the locale filters."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)
    app.register_blueprint(bp)
    # One app context can serve several requests (tests, some servers): choose afresh each time.
    app.before_request(refresh)

    @app.context_processor
    def inject_languages():
        return {
            "current_language": current_language(),
            "languages": LANGUAGES,
            "localized": localized,
            "language_name": language_name,
            "switcher_next": switcher_next,
        }

    app.jinja_env.filters.update(
        date=format_date_filter,
        datetime=format_datetime_filter,
        number=format_number_filter,
        percent=format_percent_filter,
    )

    @app.after_request
    def content_language(response):
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Language", current_language())
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response


# --- catalogue checks (``python -m consult.i18n check|english``; used by make and the tests) ---

TEMPLATE = TRANSLATIONS_DIR / "messages.pot"


def _catalogue_path(code: str):
    return TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po"


def _read(path):
    from babel.messages.pofile import read_po

    with open(path, "rb") as handle:
        return read_po(handle)


def catalogue_problems(code: str) -> list[str]:
    """Every way the ``code`` catalogue falls short of the extracted template: a missing entry,
    an empty or fuzzy translation, a compiled ``.mo`` older than its ``.po``. Empty means ready."""
    path = _catalogue_path(code)
    if not path.exists():
        return [
            f"{path}: no catalogue (pybabel init -i {TEMPLATE} -d {TRANSLATIONS_DIR} -l {code})"
        ]
    template, catalogue = _read(TEMPLATE), _read(path)
    problems = []
    for message in template:
        if not message.id:
            continue
        label = message.id if isinstance(message.id, str) else message.id[0]
        found = catalogue.get(message.id, message.context)
        if found is None:
            problems.append(f"{path.name} [{code}]: missing {label!r} (run make translations)")
            continue
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        if found.fuzzy:
            problems.append(f"{path.name} [{code}]: fuzzy, check and remove the flag: {label!r}")
        elif not all(s and s.strip() for s in strings):
            problems.append(f"{path.name} [{code}]: not translated: {label!r}")
    compiled = path.with_suffix(".mo")
    if not compiled.exists() or compiled.stat().st_mtime < path.stat().st_mtime:
        problems.append(f"{compiled}: missing or older than the .po (run make install)")
    return problems


def fill_english() -> int:
    """Give every English entry its msgid as translation (the source strings are English)."""
    from babel.messages.pofile import write_po

    path = _catalogue_path("en")
    catalogue = _read(path)
    changed = 0
    for message in catalogue:
        if not message.id:
            continue
        wanted = message.id
        if message.string != wanted or message.fuzzy:
            message.string = wanted
            message.flags.discard("fuzzy")
            changed += 1
    if changed:
        with open(path, "wb") as handle:
            write_po(handle, catalogue, width=100, include_previous=False)
    return changed


def main(argv: list[str] | None = None) -> int:
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["english"]:
        print(f"English catalogue: {fill_english()} entries filled from their msgid")
        return 0
    if args[:1] == ["check"]:
        problems = [p for code in LANGUAGES for p in catalogue_problems(code)]
        for problem in problems:
            print(problem)
        print(f"{len(problems)} catalogue problem(s) in {', '.join(LANGUAGES)}")
        return 1 if problems else 0
    print("usage: python -m consult.i18n english|check")
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
