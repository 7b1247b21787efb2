"""The job that renders a published report's PDFs before anyone asks for them.

A PDF takes seconds to render (about a minute for the largest phases); publishing queues this
job so that the first reader of each language gets the file at once, from the cache.
"""

from __future__ import annotations

import time

from consult.consultations.models import Phase
from consult.errors import NotFound
from consult.extensions import db
from consult.i18n import LANGUAGES
from consult.jobs.services import enqueue, handler
from consult.reports import render
from consult.reports.models import PhaseReport
from consult.reports.services import load_document

KIND = "reports.pdf"


@handler(KIND)
def render_pdfs(payload: dict) -> dict:
    report = db.session.get(PhaseReport, int(payload["report_id"]))
    if report is None:
        raise NotFound(f"no published report with id {payload['report_id']}")
    document = load_document(report)
    seconds = {}
    for lang in payload["languages"]:
        started = time.perf_counter()
        render.cached_pdf(document, lang)
        seconds[lang] = round(time.perf_counter() - started, 2)
    return {"version": report.version, "seconds": seconds}


def enqueue_pdfs(phase: Phase, report: PhaseReport) -> int:
    """Queue the PDFs of ``report`` in each interface language the phase's consultation uses."""
    wanted = phase.consultation.languages or [render.DEFAULT_LANGUAGE]
    languages = [code for code in wanted if code in LANGUAGES] or [render.DEFAULT_LANGUAGE]
    return enqueue(KIND, f"report:{report.id}", {"report_id": report.id, "languages": languages})
