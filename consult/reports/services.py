"""Closing a phase, Steering sign-off, publishing the report, and reading what became of input.

The rules:

* **Close** (Support Unit): the phase stops taking input and its record is frozen
  (:mod:`consult.reports.records`). A closed phase may be reopened until it is published; the
  next close freezes a new record.
* **Sign-off** (Steering Committee members only): approves the report body as it is now — the
  frozen figures and the *published* responses — identified by its hash.
* **Publish** (Support Unit): only when the phase is closed, every theme with at least the
  Support Unit's minimum number of statements has a published response, every linked strategy
  section exists, and enough Steering members signed off this exact body. The published
  document is stored as a new version; the public sees published versions only.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext, ngettext
from sqlalchemy import select

from consult.accounts.models import Role, User
from consult.consultations.models import Phase, PhaseState
from consult.consultations.services import set_phase_state
from consult.database import utcnow, write_transaction
from consult.errors import Conflict, NotFound
from consult.extensions import db
from consult.i18n import LANGUAGES
from consult.jobs.models import Job, JobState
from consult.jobs.services import enqueue, latest_job
from consult.participation.models import Moderation, Statement, Vote
from consult.reports.document import ResponseInput, body_hash, build_body, complete
from consult.reports.figures import cached_figures
from consult.reports.models import PhaseRecord, PhaseReport, SignOff
from consult.reports.records import (
    CLOSE_JOB,
    FrozenRecord,
    PhaseTheme,
    build_record,
    canonical_json,
    close_job_key,
    freeze_pending,
    frozen_row,
    iso,
    latest_record,
    load_record_cached,
    phase_themes,
    store_record,
    themes_in_phase,
)
from consult.reports.render import DEFAULT_LANGUAGE
from consult.responses import services as responses
from consult.responses.models import Response, ResponseState
from consult.responses.outline import parse_sections
from consult.themes.labels import theme_label_text


class PublishRefused(Conflict):
    """Publishing is not possible yet; ``detail`` lists every missing item."""


@dataclass(frozen=True)
class CloseOutcome:
    record: PhaseRecord
    frozen: FrozenRecord
    notes: list[str]


def _check_closable(phase: Phase) -> None:
    """Refuse to close a draft or published phase, or a closed one whose record is frozen."""
    if phase.state == PhaseState.PUBLISHED:
        raise Conflict(gettext("phase %(n)d is already published", n=phase.position))
    if phase.state == PhaseState.DRAFT:
        raise Conflict(gettext("phase %(n)d has not been opened yet", n=phase.position))
    if phase.state == PhaseState.CLOSED and not freeze_pending(phase):
        raise Conflict(
            gettext(
                "phase %(n)d is already closed (record %(record)s); reopen it to take more input "
                "and close it again",
                n=phase.position,
                record=latest_record(phase.id).content_hash[:12],
            )
        )


def close_phase(phase: Phase, user: User | None) -> CloseOutcome:
    """Stop input and freeze the phase's record (recomputing a stale analysis first).

    An open phase is closed, then frozen; if freezing fails the phase is reopened, so a phase is
    never closed without a record. A closed phase whose record is pending is frozen.
    """
    _check_closable(phase)
    reopened = phase.state == PhaseState.OPEN
    if reopened:
        set_phase_state(phase, PhaseState.CLOSED)
    try:
        frozen = build_record(phase)
        row = store_record(phase, frozen, user)
    except BaseException:
        db.session.rollback()
        if reopened:
            set_phase_state(phase, PhaseState.OPEN)
        raise
    with write_transaction(db.session) as session:
        responses.record_change(
            session,
            phase.id,
            "phase",
            "closed",
            user,
            after={"record": frozen.content_hash, "snapshot": row.analysis_snapshot_id},
        )
    return CloseOutcome(row, frozen, close_notes(phase, frozen))


def _freezing(phase: Phase) -> Job | None:
    """The phase's close job while it is queued or running."""
    job = latest_job(CLOSE_JOB, close_job_key(phase.id))
    return job if job is not None and job.state in (JobState.QUEUED, JobState.RUNNING) else None


def request_close(phase: Phase, user: User | None) -> int:
    """Close the phase now and queue the job that freezes its record; returns the job's id.

    Votes and statements are refused from this call on; the freeze (which may recompute the
    analysis, seconds to a minute on a large phase) runs in the ``reports.close`` job. Called
    again for a closed phase whose record is still pending, it queues the freeze again, unless
    a close job is already queued or running.
    """
    _check_closable(phase)
    busy = _freezing(phase)
    if busy is not None and phase.state == PhaseState.CLOSED:
        return busy.id
    row = latest_record(phase.id)
    set_phase_state(phase, PhaseState.CLOSED)
    payload = {
        "phase_id": phase.id,
        "user_id": user.id if user is not None else None,
        "after": row.id if row is not None else None,
    }
    # One attempt: a refused freeze reopens the phase, any other failure waits for the Support
    # Unit's "try again" on the close screen.
    return enqueue(CLOSE_JOB, close_job_key(phase.id), payload, max_attempts=1)


@dataclass(frozen=True)
class CloseStatus:
    """What the close screen says about a close job: queued, running, failed or missing."""

    state: str
    job: Job | None
    reopened: bool = False

    @property
    def error(self) -> str:
        """The job's error, without the module path of Consult's own exceptions."""
        error = (self.job.error if self.job else None) or ""
        if error.startswith("consult.") and ": " in error:
            error = error.split(": ", 1)[1]
        return error

    @property
    def elapsed(self) -> int:
        """Whole seconds the running job has taken so far."""
        if self.job is None or self.job.started_at is None:
            return 0
        return max(int((utcnow() - self.job.started_at).total_seconds()), 0)


def reopen_phase(phase: Phase, user: User | None) -> None:
    """Take input again in a closed phase that is not published (a close made too early).

    Its frozen record stays, and the next close freezes a new one. Refused while the record is
    being frozen, so a running freeze never finishes on an open phase.
    """
    if phase.state != PhaseState.CLOSED:
        raise Conflict(gettext("only a closed phase can be reopened"))
    if _freezing(phase) is not None:
        raise Conflict(
            gettext("its record is being frozen: wait until that is done, then reopen it")
        )
    set_phase_state(phase, PhaseState.OPEN)
    with write_transaction(db.session) as session:
        responses.record_change(session, phase.id, "phase", "reopened", user)


def close_status(phase: Phase) -> CloseStatus | None:
    """The freeze a closed phase waits for, or a close that failed and reopened the phase.

    None when there is nothing to say: the record is frozen, or the phase was never closed.
    """
    job = latest_job(CLOSE_JOB, close_job_key(phase.id))
    if freeze_pending(phase):
        if job is None or job.state == JobState.DONE:
            return CloseStatus("missing", None)
        return CloseStatus(job.state.value, job)
    if phase.state == PhaseState.OPEN and job is not None and job.state == JobState.FAILED:
        row = latest_record(phase.id)
        if job.payload.get("after") == (row.id if row is not None else None):
            return CloseStatus("failed", job, reopened=True)
    return None


def close_notes(phase: Phase, frozen: FrozenRecord) -> list[str]:
    """Things the Support Unit should know about a frozen record."""
    notes = []
    pending = sum(1 for s in frozen.statements if s["moderation"] == "pending")
    if pending:
        notes.append(
            ngettext(
                "%(num)d statement still awaited moderation and is not in the report",
                "%(num)d statements still awaited moderation and are not in the report",
                pending,
            )
        )
    if frozen.payload.get("themes") is None:
        notes.append(gettext("no theme run existed: the report has no themes"))
    else:
        covered = {
            int(s)
            for t in frozen.payload["themes"]["result"]["themes"]
            for s in t["statement_ids"]
            if isinstance(s, int)
        }
        stale = [
            s["id"]
            for s in frozen.statements
            if s["moderation"] == "accepted" and s["id"] not in covered
        ]
        if stale:
            notes.append(
                ngettext(
                    "%(num)d statement arrived after the latest theme run and is under “Other”",
                    "%(num)d statements arrived after the latest theme run and are under “Other”",
                    len(stale),
                )
            )
    return notes


def current_record(phase: Phase) -> FrozenRecord | None:
    """The phase's latest frozen record (checked against its hash), once the phase is closed.

    None while the record of the latest close is still being frozen.
    """
    row = frozen_row(phase)
    return load_record_cached(row) if row is not None else None


def _inputs(response: Response) -> ResponseInput:
    return ResponseInput(
        decision=response.decision.value,
        rationale=response.rationale,
        section_keys=tuple(response.section_keys or ()),
        answered_by=response.answered_by_name or "Support Unit",
    )


def build_current_body(phase: Phase, record: FrozenRecord) -> dict[str, Any]:
    """The report body from the frozen record and the responses published now."""
    published = [r for r in responses.responses_for(phase.id) if r.state == ResponseState.PUBLISHED]
    outline = responses.latest_outline(phase.id)
    settings = responses.settings_for(phase.id)
    return build_body(
        record,
        theme_responses={r.theme_id: _inputs(r) for r in published if r.theme_id},
        statement_responses={r.statement_id: _inputs(r) for r in published if r.statement_id},
        outline_version=outline.version if outline else None,
        sections=parse_sections(outline.markdown) if outline else [],
        min_theme_size=settings.min_theme_size,
        min_sign_offs=settings.min_sign_offs,
        figures=cached_figures(record),
    )


def sign_offs_for(phase_id: int, record_id: int) -> list[SignOff]:
    return list(
        db.session.scalars(
            select(SignOff)
            .where(SignOff.phase_id == phase_id, SignOff.record_id == record_id)
            .order_by(SignOff.signed_at, SignOff.id)
        )
    )


def _sign_off_list(rows: list[SignOff], digest: str) -> list[dict[str, str]]:
    return [
        {"name": s.name, "signed_at": iso(s.signed_at) or ""} for s in rows if s.body_hash == digest
    ]


def draft_document(phase: Phase) -> dict[str, Any] | None:
    """The report as it would be published now (no version), or None before the phase is closed."""
    record = current_record(phase)
    if record is None:
        return None
    body = build_current_body(phase, record)
    signed = _sign_off_list(sign_offs_for(phase.id, record.record_id or 0), body_hash(body))
    return complete(body, sign_offs=signed, version=None, published_at=None)


def sign_off(phase: Phase, user: User, name: object = None) -> SignOff:
    """Record a Steering Committee member's approval of the report body as it is now."""
    if user.role != Role.STEERING:
        raise Conflict(gettext("only members of the Steering Committee sign off reports"))
    display = " ".join(str(name).split()) if isinstance(name, str) else ""
    display = display or (user.name or "").strip()
    if not display:
        raise Conflict(gettext("give the name to record with the sign-off"))
    if len(display) > 200:
        raise Conflict(gettext("the name can have at most %(max)d characters", max=200))
    record = current_record(phase)
    if record is None:
        raise Conflict(
            gettext(
                "phase %(n)d is not closed: there is no report to sign off yet", n=phase.position
            )
        )
    digest = body_hash(build_current_body(phase, record))
    with write_transaction(db.session) as session:
        existing = session.scalar(
            select(SignOff).where(
                SignOff.record_id == record.record_id,
                SignOff.user_id == user.id,
                SignOff.body_hash == digest,
            )
        )
        if existing is not None:
            return existing
        row = SignOff(
            phase_id=phase.id,
            record_id=record.record_id,
            user_id=user.id,
            name=display,
            body_hash=digest,
            signed_at=utcnow(),
        )
        session.add(row)
        responses.record_change(
            session, phase.id, "report", "signed off", user, after={"body": digest, "name": display}
        )
    return row


@dataclass(frozen=True)
class MissingResponse:
    theme: PhaseTheme
    state: str  # "none" or "draft"


def missing_responses(
    phase: Phase, themes: list[PhaseTheme] | None = None
) -> list[MissingResponse]:
    """Themes at or above the size threshold without a published response (largest first)."""
    settings = responses.settings_for(phase.id)
    themes = phase_themes(phase) if themes is None else themes
    answered = responses.theme_responses(phase.id)
    out = []
    for theme in themes:
        if theme.is_other or theme.size < settings.min_theme_size:
            continue
        response = answered.get(theme.id)
        if response is None or response.state != ResponseState.PUBLISHED:
            out.append(MissingResponse(theme, "none" if response is None else "draft"))
    return out


def publish_blockers(phase: Phase) -> list[str]:
    """Everything that stands between the phase and publishing its report (empty: ready)."""
    if phase.state == PhaseState.DRAFT:
        return [gettext("phase %(n)d is draft: close it first", n=phase.position)]
    if phase.state == PhaseState.OPEN:
        return [gettext("phase %(n)d is open: close it first", n=phase.position)]
    record = current_record(phase)
    if record is None:
        return [
            gettext(
                "phase %(n)d has no frozen record: close it with `consult phase close`",
                n=phase.position,
            )
        ]
    blockers = []
    settings = responses.settings_for(phase.id)
    accepted = [s["id"] for s in record.statements if s["moderation"] == "accepted"]
    themes = themes_in_phase(record.themes(), accepted)
    for item in missing_responses(phase, themes):
        values = {
            "id": item.theme.id,
            "label": theme_label_text(item.theme.label),
            "size": item.theme.size,
            "min": settings.min_theme_size,
        }
        if item.state == "draft":
            message = gettext(
                "theme %(id)s “%(label)s” (%(size)d statements) has only a draft response; "
                "themes with %(min)d or more statements need a published response"
            )
        else:
            message = gettext(
                "theme %(id)s “%(label)s” (%(size)d statements) has no response; themes with "
                "%(min)d or more statements need a published response"
            )
        blockers.append(message % values)
    known = {t.id for t in themes}
    sections = {s.key for s in responses.outline_sections(phase.id)}
    for response in responses.responses_for(phase.id):
        if response.state != ResponseState.PUBLISHED:
            continue
        if response.theme_id and response.theme_id not in known:
            blockers.append(
                gettext(
                    "the published response to theme %(id)s answers a theme that is not in the "
                    "frozen record: withdraw it or answer the theme that replaced it",
                    id=response.theme_id,
                )
            )
        gone = [k for k in response.section_keys or [] if k not in sections]
        if gone:
            if response.theme_id:
                message = gettext(
                    "the response to theme %(id)s links strategy sections missing from the latest "
                    "outline: %(keys)s"
                )
            else:
                message = gettext(
                    "the response to statement %(id)s links strategy sections missing from the "
                    "latest outline: %(keys)s"
                )
            ident = response.theme_id or response.statement_id
            blockers.append(message % {"id": ident, "keys": ", ".join(gone)})
    body = build_current_body(phase, record)
    digest = body_hash(body)
    signed = sign_offs_for(phase.id, record.record_id or 0)
    valid = [s for s in signed if s.body_hash == digest]
    if len(valid) < settings.min_sign_offs:
        need = settings.min_sign_offs - len(valid)
        stale = sorted({s.name for s in signed if s.body_hash != digest} - {s.name for s in valid})
        message = ngettext(
            "%(num)d more Steering Committee sign-off is needed on the report as it is now "
            "(report %(report)s)",
            "%(num)d more Steering Committee sign-offs are needed on the report as it is now "
            "(report %(report)s)",
            need,
            report=digest[:12],
        )
        if stale:
            message += gettext(
                "; the report changed after %(names)s signed off", names=", ".join(stale)
            )
        blockers.append(message)
    latest = latest_published(phase.id)
    if latest is not None and latest.body_hash == digest and latest.record_id == record.record_id:
        blockers.append(
            gettext(
                "version %(n)d of this report is already published and nothing changed",
                n=latest.version,
            )
        )
    return blockers


def publish(phase: Phase, user: User | None) -> PhaseReport:
    """Publish the report as a new version, or refuse with every missing item; queues the
    rendering of its PDFs."""
    blockers = publish_blockers(phase)
    if blockers:
        raise PublishRefused(
            gettext(
                "phase %(n)d cannot be published yet: %(reasons)s",
                n=phase.position,
                reasons="; ".join(blockers),
            ),
            detail=blockers,
        )
    record = current_record(phase)
    assert record is not None
    body = build_current_body(phase, record)
    digest = body_hash(body)
    latest = latest_published(phase.id)
    version = latest.version + 1 if latest else 1
    now = utcnow()
    document = complete(
        body,
        sign_offs=_sign_off_list(sign_offs_for(phase.id, record.record_id or 0), digest),
        version=version,
        published_at=iso(now),
    )
    report = PhaseReport(
        phase_id=phase.id,
        record_id=record.record_id,
        version=version,
        body_hash=digest,
        document=zlib.compress(canonical_json(document), 6),
        published_at=now,
        published_by_id=user.id if user else None,
    )
    with write_transaction(db.session) as session:
        session.add(report)
        if phase.state != PhaseState.PUBLISHED:
            phase.state = PhaseState.PUBLISHED
        responses.record_change(
            session,
            phase.id,
            "report",
            "published",
            user,
            after={"version": version, "body": digest},
        )
    enqueue_pdfs(phase, report)
    return report


PDF_JOB = "reports.pdf"


def enqueue_pdfs(phase: Phase, report: PhaseReport) -> int:
    """Queue the PDFs of ``report`` in each interface language the phase's consultation uses, so
    that no reader waits for them (``consult.reports.jobs``)."""
    wanted = phase.consultation.languages or [DEFAULT_LANGUAGE]
    languages = [code for code in wanted if code in LANGUAGES] or [DEFAULT_LANGUAGE]
    return enqueue(PDF_JOB, f"report:{report.id}", {"report_id": report.id, "languages": languages})


def published_reports(phase_id: int) -> list[PhaseReport]:
    return list(
        db.session.scalars(
            select(PhaseReport)
            .where(PhaseReport.phase_id == phase_id)
            .order_by(PhaseReport.version.desc())
        )
    )


def latest_published(phase_id: int) -> PhaseReport | None:
    return db.session.scalar(
        select(PhaseReport)
        .where(PhaseReport.phase_id == phase_id)
        .order_by(PhaseReport.version.desc())
        .limit(1)
    )


def get_published(phase_id: int, version: int | None = None) -> PhaseReport:
    if version is None:
        report = latest_published(phase_id)
    else:
        report = db.session.scalar(
            select(PhaseReport).where(
                PhaseReport.phase_id == phase_id, PhaseReport.version == version
            )
        )
    if report is None:
        if version is None:
            raise NotFound(gettext("no published report for this phase"))
        raise NotFound(gettext("no published report for this phase with version %(n)d", n=version))
    return report


def load_document(report: PhaseReport) -> dict[str, Any]:
    return json.loads(zlib.decompress(report.document))


# --- what became of a participant's input -----------------------------------------------------


class PublishedDocuments:
    """Latest published report documents by phase id, loaded once each."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[PhaseReport, dict[str, Any]] | None] = {}

    def get(self, phase_id: int) -> tuple[PhaseReport, dict[str, Any]] | None:
        if phase_id not in self._cache:
            report = latest_published(phase_id)
            self._cache[phase_id] = (report, load_document(report)) if report else None
        return self._cache[phase_id]


@dataclass(frozen=True)
class InputItem:
    statement: Statement
    wrote: bool
    vote: int | None
    report: PhaseReport | None
    disposition: dict[str, Any] | None


def participant_input(participant_id: int) -> list[InputItem]:
    """Each statement the participant wrote or voted on, with what the published report says."""
    written = list(
        db.session.scalars(select(Statement).where(Statement.author_id == participant_id))
    )
    voted = db.session.execute(
        select(Statement, Vote.value)
        .join(Vote, Vote.statement_id == Statement.id)
        .where(Vote.participant_id == participant_id)
    ).all()
    votes = {s.id: v for s, v in voted}
    statements = {s.id: s for s in written} | {s.id: s for s, _ in voted}
    documents = PublishedDocuments()
    from consult.reports.document import disposition

    items = []
    for statement in sorted(
        statements.values(), key=lambda s: (s.phase_id, s.id not in {w.id for w in written}, s.id)
    ):
        found = documents.get(statement.phase_id)
        report, document = found if found else (None, None)
        items.append(
            InputItem(
                statement=statement,
                wrote=statement.author_id == participant_id,
                vote=votes.get(statement.id),
                report=report,
                disposition=disposition(document, statement.id) if document else None,
            )
        )
    return items


def statement_disposition(statement_id: int) -> dict[str, Any]:
    """Public disposition of one statement (the API's answer), from the latest published report."""
    from consult.reports.document import disposition

    statement = db.session.get(Statement, statement_id)
    if statement is None or statement.moderation != Moderation.ACCEPTED:
        raise NotFound(f"no statement with id {statement_id}")
    phase = statement.phase
    if not phase.is_public:
        raise NotFound(f"no statement with id {statement_id}")
    out: dict[str, Any] = {
        "statement_id": statement.id,
        "text": statement.text,
        "consultation": phase.consultation.slug,
        "phase": {"id": phase.id, "position": phase.position, "title": phase.title},
        "status": "pending",
        "theme": None,
        "decision": None,
        "decision_label": None,
        "rationale": None,
        "responded": None,
        "strategy_sections": [],
        "report": None,
    }
    report = latest_published(phase.id)
    if report is None:
        theme = next((t for t in phase_themes(phase) if statement.id in t.statement_ids), None)
        if theme is not None:
            out["theme"] = {"id": theme.id, "label": theme.label}
        return out
    document = load_document(report)
    found = disposition(document, statement.id)
    out["report"] = {
        "version": report.version,
        "published_at": iso(report.published_at),
        "body_hash": report.body_hash,
        "record_hash": document["record"]["content_hash"],
    }
    out["status"] = "published"
    if found is None:
        return out
    out["theme"] = found["theme"]
    response = found["response"]
    if response is not None:
        out["decision"] = response["decision"]
        out["decision_label"] = response["decision_label"]
        out["rationale"] = response["rationale"]
    out["responded"] = found["responded"]
    out["strategy_sections"] = found["sections"]
    return out
