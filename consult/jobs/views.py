"""The job list for the Support Unit and admins: queued, running, failed (with error), done."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from consult.accounts.models import Role
from consult.accounts.roles import role_required
from consult.database import utcnow
from consult.extensions import db
from consult.jobs import services
from consult.jobs.models import Job, JobState

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")

PER_STATE = 50
# Queued jobs oldest first (the next to run on top); the others newest first.
ORDER = {
    JobState.QUEUED: Job.id.asc(),
    JobState.RUNNING: Job.id.asc(),
    JobState.FAILED: Job.id.desc(),
    JobState.DONE: Job.id.desc(),
}


@bp.record_once
def _start_sweeper_with_first_request(state) -> None:
    """Embedded mode: each web process sweeps (retries, lost jobs) from its first request on."""
    app = state.app

    @app.before_request
    def _sweeper() -> None:
        if not app.testing and services.mode(app) == "thread":
            services.ensure_sweeper(app)


@bp.get("/")
@role_required(Role.SUPPORT)
def index():
    counts = dict(db.session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    sections = [
        (
            state,
            counts.get(state, 0),
            db.session.scalars(
                select(Job).where(Job.state == state).order_by(ORDER[state]).limit(PER_STATE)
            ).all(),
        )
        for state in (JobState.RUNNING, JobState.QUEUED, JobState.FAILED, JobState.DONE)
    ]
    app = current_app._get_current_object()
    how = services.mode(app)
    redis = None
    if how == "rq":
        from consult.jobs.queue import queue_status

        redis = queue_status(app)
    return render_template(
        "jobs/index.html",
        sections=sections,
        mode=how,
        redis=redis,
        now=utcnow(),
        lease=services.setting("CONSULT_JOB_LEASE_SECONDS", app),
        per_state=PER_STATE,
    )


@bp.post("/<int:job_id>/retry")
@role_required(Role.SUPPORT)
def retry(job_id: int):
    """Queue a failed job again (coalesced with any job already queued for its key)."""
    job = db.session.get(Job, job_id)
    if job is None or job.state != JobState.FAILED:
        flash(_("Job %(id)d is not a failed job; nothing to retry.", id=job_id), "error")
    else:
        new_id = services.enqueue(job.kind, job.key, dict(job.payload))
        flash(
            _(
                "Job %(id)d (%(kind)s) queued again as job %(new_id)d.",
                id=job_id,
                kind=job.kind,
                new_id=new_id,
            ),
            "success",
        )
    return redirect(url_for(".index"))
