"""The phase results page: opinion groups, what sets each apart, common ground and divides."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from consult.accounts.models import Role
from consult.analysis import presenters
from consult.analysis.jobs import KIND, job_key
from consult.analysis.services import latest_snapshot, load_result, snapshot_age
from consult.consultations.services import get_phase
from consult.i18n import current_language
from consult.jobs.models import JobState
from consult.jobs.services import latest_job
from consult.participation.translations import localized_texts
from consult.themes.services import phase_theme_statistics

bp = Blueprint("analysis", __name__, url_prefix="/c/<slug>/phase/<int:position>")


@bp.get("/results")
def results(slug: str, position: int):
    phase = get_phase(slug, position)
    staff = current_user.is_authenticated and current_user.has_role(Role.SUPPORT, Role.STEERING)
    if not phase.is_public and not staff:
        abort(404)
    snapshot = latest_snapshot(phase.id)
    job = latest_job(KIND, job_key(phase.id))
    failure = job if job is not None and job.state == JobState.FAILED else None
    context = {
        "phase": phase,
        "consultation": phase.consultation,
        "snapshot": snapshot,
        "failure": failure,
        "running": job is not None and job.state in (JobState.QUEUED, JobState.RUNNING),
    }
    if snapshot is None:
        context["themes"] = phase_theme_statistics(phase)
        return render_template("analysis/results.html", **context)
    result = load_result(snapshot)
    context["themes"] = phase_theme_statistics(phase, snapshot, result)
    # Statements in the reader's language where a translation exists (the figures are the same).
    texts, langs = localized_texts(phase.id, current_language())
    return render_template(
        "analysis/results.html",
        **context,
        langs=langs,
        age=snapshot_age(snapshot),
        view=presenters.results_view(result, texts),
    )
