"""Closing and publishing from the command line: what is refused, and why, until it may."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.consultations.models import PhaseState
from consult.consultations.services import get_phase
from consult.extensions import db
from consult.jobs.models import Job, JobState
from consult.reports import services as reports
from consult.reports.records import phase_themes
from consult.responses import services as responses
from tests.reports.helpers import prepare_demo, required_themes, respond_to_all, staff_user

pytestmark = [pytest.mark.model, pytest.mark.parametrize("app", ["sqlite"], indirect=True)]


def test_publish_refuses_with_every_missing_item(app, runner, embedder):
    phase = prepare_demo(embedder)
    needed = required_themes(phase)
    support = staff_user("support", "Sam Support")

    # Not closed yet: publishing says so.
    refused = runner.invoke(args=["phase", "publish", "demo", "1"])
    assert refused.exit_code == 1
    assert "phase 1 is open: close it first" in refused.output

    closed = runner.invoke(args=["phase", "close", "demo", "1"])
    assert closed.exit_code == 0, closed.output
    assert "Frozen record" in closed.output
    assert f"{len(needed)} theme(s) still need a published response" in closed.output
    assert get_phase("demo", 1).state == PhaseState.CLOSED
    again = runner.invoke(args=["phase", "close", "demo", "1"])
    assert again.exit_code == 1 and "already closed" in again.output

    # Nothing answered, nobody signed: every theme and the sign-off are listed.
    refused = runner.invoke(args=["phase", "publish", "demo", "1"])
    assert refused.exit_code == 1
    for theme in needed:
        assert f"theme {theme.id} “{theme.label}” ({theme.size} statements) has no response" in (
            refused.output
        )
    assert "1 more Steering Committee sign-off is needed" in refused.output

    # All but one answered, the last one only as a draft.
    respond_to_all(phase, support, skip=1)
    last = needed[-1]
    responses.save_response(
        phase,
        support,
        theme_id=last.id,
        decision="not_adopted",
        rationale="Outside what members asked for.",
        known_theme_ids={t.id for t in phase_themes(phase)},
    )
    refused = runner.invoke(args=["phase", "publish", "demo", "1"])
    assert refused.exit_code == 1
    assert f"theme {last.id} “{last.label}” ({last.size} statements) has only a draft" in (
        refused.output
    )
    assert sum(f"theme {t.id} “" in refused.output for t in needed) == 1

    # Published, then signed off; a change after the sign-off needs a new one.
    responses.save_response(
        phase,
        support,
        theme_id=last.id,
        decision="not_adopted",
        rationale="Outside what members asked for.",
        publish=True,
        known_theme_ids={t.id for t in phase_themes(phase)},
    )
    reports.sign_off(phase, staff_user("steering", "Ana Pérez"))
    responses.save_response(
        phase,
        support,
        theme_id=last.id,
        decision="deferred",
        rationale="Phase 2 will take it up.",
        publish=True,
        known_theme_ids={t.id for t in phase_themes(phase)},
    )
    refused = runner.invoke(args=["phase", "publish", "demo", "1"])
    assert refused.exit_code == 1
    assert "the report changed after Ana Pérez signed off" in refused.output

    reports.sign_off(phase, staff_user("steering", "Bo Chen"))
    published = runner.invoke(args=["phase", "publish", "demo", "1"])
    assert published.exit_code == 0, published.output
    assert "Published version 1" in published.output
    assert get_phase("demo", 1).state == PhaseState.PUBLISHED
    # Publishing from the command line queues the PDFs too, one per language of the demo.
    job = db.session.scalar(select(Job).where(Job.kind == reports.PDF_JOB))
    assert job is not None and job.state == JobState.DONE
    assert sorted(job.result["seconds"]) == ["en", "es", "fr"]
    # Nothing changed since: a second publish is refused.
    refused = runner.invoke(args=["phase", "publish", "demo", "1"])
    assert refused.exit_code == 1 and "already published" in refused.output


def test_threshold_set_by_the_support_unit_decides_which_themes_need_a_response(app, embedder):
    phase = prepare_demo(embedder)
    support = staff_user("support", "Sam Support")
    sizes = sorted({t.size for t in phase_themes(phase) if not t.is_other})
    responses.update_settings(phase, sizes[-1], 1, support)
    reports.close_phase(phase, support)
    missing = reports.missing_responses(phase)
    assert missing and all(m.theme.size == sizes[-1] for m in missing)
    responses.update_settings(phase, sizes[-1] + 1, 1, support)
    assert reports.missing_responses(phase) == []
    blockers = reports.publish_blockers(phase)
    assert len(blockers) == 1 and "sign-off" in blockers[0]
    db.session.rollback()


def test_a_phase_without_votes_cannot_be_closed(app, make_phase, runner):
    phase = make_phase(3)
    result = runner.invoke(args=["phase", "close", phase.consultation.slug, "1"])
    assert result.exit_code == 1
    assert "has no votes" in result.output
    db.session.refresh(phase)
    assert phase.state == PhaseState.OPEN  # a failed close leaves the phase open


def test_a_correction_is_published_as_a_new_version(app, runner, embedder, client):
    from sqlalchemy import select

    from consult.accounts.models import User
    from tests.reports.helpers import publish_demo

    phase = publish_demo(embedder)
    support = db.session.scalar(select(User).where(User.name == "Sam Support"))
    theme = required_themes(phase)[1]
    correction = "Corrected: this theme became commitment 3.4 after the Steering Committee met."
    responses.save_response(
        phase,
        support,
        theme_id=theme.id,
        decision="adapted",
        rationale=correction,
        section_keys=["goal-3"],
        publish=True,
        known_theme_ids={t.id for t in phase_themes(phase)},
    )
    assert any("sign-off" in b for b in reports.publish_blockers(phase))
    reports.sign_off(phase, staff_user("steering", "Bo Chen"))
    report = reports.publish(phase, support)
    assert report.version == 2
    assert get_phase("demo", 1).state == PhaseState.PUBLISHED
    result = runner.invoke(args=["report", "verify", "demo", "1"])
    assert result.exit_code == 0, result.output
    assert "ok   version 1: report figures" in result.output
    assert "ok   version 2: report figures" in result.output
    assert correction in client.get("/c/demo/phase/1/report").text
    assert correction not in client.get("/c/demo/phase/1/report?version=1").text
