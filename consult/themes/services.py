"""Reading theme runs: the latest themes of a consultation, as the pure ``ThemeResult``."""

from __future__ import annotations

from sqlalchemy import select

from clustering.themes import ThemeResult
from consult.extensions import db
from consult.themes.models import ThemeRun


def latest_theme_run(consultation_id: int) -> ThemeRun | None:
    return db.session.scalar(
        select(ThemeRun)
        .where(ThemeRun.consultation_id == consultation_id)
        .order_by(ThemeRun.id.desc())
        .limit(1)
    )


def load_theme_result(run: ThemeRun) -> ThemeResult:
    return ThemeResult.from_dict(run.result())
