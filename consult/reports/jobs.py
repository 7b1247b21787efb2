"""Report jobs: freezing a closed phase's record, and rendering a published report's PDFs.

Closing from the close screen stops input at once and queues ``reports.close``, which freezes
the record (recomputing a stale analysis first: seconds to a minute on a large phase) off the
request path. A PDF takes seconds to render (about a minute for the largest phases); publishing
queues ``reports.pdf`` so that the first reader of each language gets the file at once.
"""

from __future__ import annotations

import time

from consult.accounts.models import User
from consult.consultations.models import Phase, PhaseState
from consult.consultations.services import set_phase_state
from consult.errors import ConsultError, NotFound
from consult.extensions import db
from consult.jobs.services import handler
from consult.reports import render
from consult.reports.models import PhaseReport
from consult.reports.services import (
    CLOSE_JOB,
    PDF_JOB,
    close_phase,
    freeze_pending,
    load_document,
)


@handler(CLOSE_JOB)
def freeze_closed_phase(payload: dict) -> dict:
    """Freeze the record of a phase closed from the close screen (see ``request_close``).

    A freeze the phase refuses (it has no votes) reopens it, as closing from the command line
    does; any other failure leaves it closed, and the close screen offers to try again.
    """
    phase = db.session.get(Phase, int(payload["phase_id"]))
    if phase is None:
        raise NotFound(f"no phase with id {payload['phase_id']}")
    if not freeze_pending(phase):  # frozen meanwhile (``consult phase close``) or reopened
        return {"skipped": phase.state.value}
    user = db.session.get(User, payload["user_id"]) if payload.get("user_id") else None
    try:
        outcome = close_phase(phase, user)
    except ConsultError:
        set_phase_state(phase, PhaseState.OPEN)
        raise
    return {"record": outcome.frozen.content_hash, "record_id": outcome.record.id}


@handler(PDF_JOB)
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
