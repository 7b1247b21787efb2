"""The themes.refresh job: a run per change, each statement once, curation kept, CLI, triggers."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.jobs.models import Job, JobState
from consult.jobs.services import latest_job
from consult.participation.services import add_seed_statement
from consult.themes import services
from consult.themes.jobs import KIND, enqueue_refresh, job_key
from consult.themes.models import ThemeCuration, ThemeRun
from tests.themes.data import CLIMATE, NEW_YOUTH, PROCUREMENT, YOUTH

pytestmark = pytest.mark.model


def run_job(consultation) -> dict:
    job = db.session.get(Job, enqueue_refresh(consultation.id), populate_existing=True)
    assert job.state == JobState.DONE, job.error
    return job.result


def test_job_stores_a_run_with_every_statement_exactly_once(themed):
    result = run_job(themed.consultation)
    assert result["changed"] is True
    run = services.latest_theme_run(themed.consultation.id)
    assert run.id == result["run_id"] and run.n_statements == 12
    themes = services.load_theme_result(run)
    counted = [sid for t in themes.themes for sid in t.statement_ids]
    expected = set(themed.ids.values())  # both phases, the imported one, not the rejected one
    assert sorted(counted) == sorted(expected)  # each exactly once
    assert themed.rejected_id not in counted
    assert themes.model == run.model and run.timings["embed"] >= 0
    procurement = {themes.assignments()[themed.id_of(t)] for t in PROCUREMENT}
    youth = {themes.assignments()[themed.id_of(t)] for t in YOUTH}
    assert procurement.isdisjoint(youth)  # two clearly different topics, two themes

    again = run_job(themed.consultation)
    assert again == {**again, "changed": False, "run_id": run.id}
    assert "unchanged" in again["reason"]
    add_seed_statement(themed.phase1, NEW_YOUTH[0])
    third = run_job(themed.consultation)
    assert third["changed"] is True and third["run_id"] != run.id
    assert db.session.scalar(select(func.count()).select_from(ThemeRun)) == 2
    assert latest_job(KIND, job_key(themed.consultation.id)).state == JobState.DONE


def test_curation_survives_recomputes_through_the_real_job(themed, staff):
    run_job(themed.consultation)
    view = services.current_themes(themed.consultation)
    assignments = view.result.assignments()
    contracts = assignments[themed.id_of(PROCUREMENT[0])]
    youth = assignments[themed.id_of(YOUTH[0])]
    user = staff.create("support")
    consultation = themed.consultation

    services.rename_theme(consultation, contracts, "Open contracting", user)
    split_off = [themed.id_of(PROCUREMENT[2]), themed.id_of(PROCUREMENT[3])]
    part = services.split_theme(consultation, contracts, split_off, user, label="Contract data")
    moved = themed.id_of(YOUTH[1])
    services.move_statement(consultation, moved, contracts, user)
    set_aside = themed.id_of(YOUTH[3])
    services.move_statement(consultation, set_aside, "other", user)
    assert db.session.scalar(select(func.count()).select_from(ThemeCuration)) == 5

    # Shown at once, before any recompute: the latest run is still the first one.
    shown = services.current_themes(consultation)
    assert shown.pending_edits and shown.run.id == view.run.id
    assert shown.result.theme(contracts).label == "Open contracting"
    assert set(shown.result.theme(part).statement_ids) == set(split_off)
    assert shown.result.assignments()[moved] == contracts

    def check(result):
        assignments = result.assignments()
        assert result.theme(contracts).label == "Open contracting"
        assert result.theme(contracts).label_source == "curator"
        assert result.theme(part).label == "Contract data"
        assert {assignments[s] for s in split_off} == {part}
        assert assignments[themed.id_of(PROCUREMENT[0])] == contracts
        assert assignments[moved] == contracts
        assert assignments[set_aside] == "other"

    for text in NEW_YOUTH:  # new statements: the job recomputes with the curation applied
        add_seed_statement(themed.phase1, text)
    assert run_job(consultation)["changed"] is True
    after = services.current_themes(consultation)
    assert not after.pending_edits
    check(after.result)
    assert len(after.result.assignments()) == 14

    services.merge_themes(consultation, contracts, youth, user)
    assert run_job(consultation)["changed"] is True  # constraints changed, statements did not
    merged = services.current_themes(consultation).result
    check(merged)
    assert youth not in merged.theme_ids
    assert all(merged.assignments()[themed.id_of(t)] == contracts for t in YOUTH[:3])
    add_seed_statement(themed.phase2, "Publish every energy licence and the studies behind it.")
    assert run_job(consultation)["changed"] is True
    check(services.current_themes(consultation).result)


def test_cli_refreshes_and_prints_the_themes(themed, runner):
    out = runner.invoke(args=["themes", "themed", "--statements"])
    assert out.exit_code == 0, out.output
    assert "12 statements in" in out.output
    for text in PROCUREMENT + CLIMATE:
        assert text in out.output
    again = runner.invoke(args=["themes", "themed"])
    assert "unchanged" in again.output
    missing = runner.invoke(args=["themes", "nope"])
    assert missing.exit_code != 0 and "no consultation named 'nope'" in missing.output


def test_new_statement_requests_a_refresh_without_waiting_for_it(themed, client, app):
    from tests.conftest import csrf_from

    app.config.update(
        CONSULT_AUTO_THEMES=True, CONSULT_THEMES_QUIET=0.3, CONSULT_THEMES_DEBOUNCE=0.3
    )
    page = client.get("/c/themed/phase/1/")
    response = client.post(
        "/c/themed/phase/1/statements",
        data={"text": NEW_YOUTH[1], "csrf_token": csrf_from(page.text)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert services.latest_theme_run(themed.consultation.id) is None  # the request did not wait
    deadline = time.monotonic() + 30
    run = None
    while run is None and time.monotonic() < deadline:
        time.sleep(0.1)
        db.session.rollback()
        run = services.latest_theme_run(themed.consultation.id)
    assert run is not None and run.n_statements == 13
    while latest_job(KIND, job_key(themed.consultation.id)).state != JobState.DONE:
        assert time.monotonic() < deadline, "the refresh job did not finish"
        time.sleep(0.05)
        db.session.rollback()
