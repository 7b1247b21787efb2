"""Render a report document as HTML (print-friendly), PDF, JSON or CSV — from the document alone.

Nothing here reads the database or the clock, so the same document always gives the same HTML,
JSON and CSV bytes. User text (statements, rationales, the outline) is escaped by the templates;
Markdown is rendered with raw HTML disabled.

HTML and PDF are built in one interface language (``lang``: English, French or Spanish): the
headings, explanations, dates and numbers are in that language, the figures and the people's own
words are the same in every one. JSON and CSV are data, identical whatever the language.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from consult.reports.document import disposition
from consult.reports.records import canonical_json
from consult.responses.outline import render_markdown

FORMATS = ("html", "pdf", "json", "csv")
CSV_COLUMNS = (
    "statement_id",
    "text",
    "origin",
    "theme_id",
    "theme_label",
    "agree",
    "disagree",
    "pass",
    "votes",
    "agree_share",
    "offline_conversations",
    "offline_for",
    "offline_against",
    "decision",
    "responded",
    "rationale",
    "strategy_sections",
)


DEFAULT_LANGUAGE = "en"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100):d} %"


def number(value: int | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """12345 → '12,345' ('12 345' in French, '12.345' in Spanish)."""
    return "–" if value is None else format_decimal(value, "#,##0", locale=lang)


def day(value: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """'2026-11-25T16:09:02Z' or '2026-11-25' → '25 November 2026' ('25 novembre 2026')."""
    if not value:
        return ""
    parsed = datetime.fromisoformat(value.rstrip("Z"))
    return format_date(parsed, "d MMMM y" if lang == DEFAULT_LANGUAGE else "long", locale=lang)


def moment(value: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """'2026-11-25T16:09:02Z' → '25 November 2026, 16:09 UTC' (times are stored in UTC)."""
    if not value:
        return ""
    parsed = datetime.fromisoformat(value.rstrip("Z"))
    clock = format_time(parsed, "HH:mm", locale=lang)
    if lang == DEFAULT_LANGUAGE:
        return f"{day(value, lang)}, {clock} UTC"
    pattern = Locale.parse(lang).datetime_formats["long"]
    return f"{pattern.format(clock, day(value, lang))} UTC"


class ReportView:
    """Look-ups the report templates need, over one document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document
        self.figures = document["figures"]
        self.process = self.figures["process"]
        self.statements = {row["id"]: row for row in self.figures["statements"]}
        self.themes = self.figures["themes"]
        self.theme_by_id = {t["id"]: t for t in self.themes}
        self.sections = document["strategy"]["sections"]
        self.section_by_key = {s["key"]: s for s in self.sections}
        self.responses = document["responses"]
        self.publication = document.get("publication")
        self.draft = self.publication is None

    def text(self, statement_id: int) -> str:
        row = self.statements.get(statement_id)
        return row["text"] if row else _("statement %(id)d", id=statement_id)

    def theme_response(self, theme_id: str) -> dict[str, Any] | None:
        return self.responses["themes"].get(theme_id)

    def statement_response(self, statement_id: int) -> dict[str, Any] | None:
        return self.responses["statements"].get(str(statement_id))

    def top_themes(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        return [
            (self.theme_by_id[tid], self.theme_response(tid))
            for tid in self.figures["top_consensus_themes"]
        ]

    def answered_statements(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [
            (self.statements[int(sid)], response)
            for sid, response in sorted(
                self.responses["statements"].items(), key=lambda x: int(x[0])
            )
            if int(sid) in self.statements
        ]

    @staticmethod
    def lowest_group_share(theme: dict[str, Any]) -> float | None:
        """The smallest agreement of any opinion group with the theme (None with < 2 groups)."""
        shares = [g["agree_share"] for g in theme["groups"] if g["agree_share"] is not None]
        return min(shares) if len(shares) >= 2 else None

    def section_title(self, key: str) -> str:
        section = self.section_by_key.get(key)
        return section["title"] if section else key

    def disposition(self, statement_id: int) -> dict[str, Any] | None:
        return disposition(self.doc, statement_id)

    def theme_label(self, theme_id: str | None) -> str:
        theme = self.theme_by_id.get(theme_id) if theme_id else None
        return theme["label"] if theme else "—"

    @staticmethod
    def markdown(text: str) -> Markup:
        return Markup(render_markdown(text))  # noqa: S704 — markdown-it escapes raw HTML

    @staticmethod
    def first_sentence(text: str, limit: int = 180) -> str:
        flat = " ".join(text.split())
        for stop in (". ", "! ", "? "):
            cut = flat.find(stop)
            if 0 < cut < limit:
                return flat[: cut + 1]
        return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def _context(document: dict[str, Any], lang: str, **extra: Any) -> dict[str, Any]:
    return {
        "r": ReportView(document),
        "lang": lang,
        "pct": pct,
        "number": lambda value: number(value, lang),
        "decimal": lambda value: format_decimal(value, "0.00", locale=lang),
        "day": lambda value: day(value, lang),
        "moment": lambda value: moment(value, lang),
        **extra,
    }


def check_language(lang: str) -> str:
    """``lang`` if the interface speaks it, else ValueError naming the languages it speaks."""
    from consult.i18n import LANGUAGES

    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    return lang


def _standalone(document: dict[str, Any], lang: str, **extra: Any) -> str:
    # The app's Jinja environment (autoescaping, templates folder) without its context processors:
    # nothing about the request or the user can enter the file, and its language is ``lang``.
    template = current_app.jinja_env.get_template("reports/standalone.html")
    with force_locale(check_language(lang)):
        return template.render(**_context(document, lang, **extra))


def render_html(document: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> str:
    """The standalone report: one HTML file with its style inline, for printing and archiving."""
    return _standalone(document, lang)


def render_page_context(document: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """Template context for the report page inside the site (rendered in the reader's locale)."""
    return _context(document, lang)


def render_pdf(document: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> bytes:
    from weasyprint import HTML

    html = _standalone(document, lang, for_pdf=True)
    identifier = document["body_hash"][:32]
    if lang != DEFAULT_LANGUAGE:  # one identifier per language of the same report
        identifier = hashlib.sha256(f"{document['body_hash']}:{lang}".encode()).hexdigest()[:32]
    return HTML(string=html).write_pdf(pdf_identifier=identifier.encode())


def cached_pdf(document: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The PDF of ``document`` in ``lang``, kept in the instance folder by content and language:
    rendering takes seconds (a minute for the largest phases), reading it back does not."""
    key = hashlib.sha256(canonical_json(document)).hexdigest()
    if lang != DEFAULT_LANGUAGE:
        key = f"{key}-{lang}"
    folder = Path(current_app.instance_path) / "report-cache"
    path = folder / f"{key}.pdf"
    if path.exists():
        return path.read_bytes()
    data = render_pdf(document, lang)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=".pdf-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(tmp, path)
    except OSError:  # a read-only instance folder only costs the next reader the same wait
        current_app.logger.warning("could not cache the report PDF in %s", folder)
    return data


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def render_csv(document: dict[str, Any]) -> str:
    """The annex: one row per statement with its theme, vote counts and disposition."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    view = ReportView(document)
    for row in document["figures"]["statements"]:
        found = view.disposition(row["id"]) or {}
        response = found.get("response") or {}
        writer.writerow(
            [
                row["id"],
                _csv_safe(row["text"]),
                row["origin"],
                row["theme_id"] or "",
                _csv_safe(view.theme_label(row["theme_id"])),
                row["n_agree"],
                row["n_disagree"],
                row["n_pass"],
                row["n_votes"],
                "" if row["agree_share"] is None else row["agree_share"],
                row["offline_conversations"],
                "" if row["offline_for"] is None else row["offline_for"],
                "" if row["offline_against"] is None else row["offline_against"],
                response.get("decision", ""),
                found.get("responded") or "",
                _csv_safe(response.get("rationale", "")),
                " ".join(response.get("sections", [])),
            ]
        )
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    """Keep spreadsheet programs from running user text as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render(document: dict[str, Any], fmt: str, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The report in ``fmt``; HTML and PDF in ``lang`` (JSON and CSV are the same in every one)."""
    check_language(lang)
    if fmt == "html":
        return render_html(document, lang).encode()
    if fmt == "pdf":
        return render_pdf(document, lang)
    if fmt == "json":
        return render_json(document).encode()
    if fmt == "csv":
        return render_csv(document).encode()
    raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
