"""The whole reasoned-response cycle on the demo: respond, close, sign off, publish, read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from consult.accounts.models import User
from consult.consultations.models import PhaseState
from consult.extensions import db
from consult.jobs.models import Job, JobState
from consult.moderation.services import decide
from consult.participation.models import Moderation, Statement
from consult.reports.models import PhaseRecord
from consult.reports.records import phase_themes
from consult.responses.models import Response
from tests.conftest import Staff, csrf_from
from tests.reports.helpers import OUTLINE, FreshClient, prepare_demo, required_themes

pytestmark = pytest.mark.model

PARTICIPANT_TEXT = "Every member should report back to the people who took part in its action plan."


def _glance(html: str) -> str:
    """The first screen of the report: from the title to the end of "At a glance"."""
    start = html.index("<h1>")
    end = html.index('id="process"')
    return html[start:end]


def test_full_cycle_on_the_demo(app, embedder):
    client = FreshClient(app.test_client())
    participant = FreshClient(app.test_client())
    api_token: list[str] = []

    def take_part(phase):
        page = participant.get("/c/demo/phase/1/")
        token = csrf_from(page.text)
        first = db.session.scalars(
            select(Statement.id).where(Statement.phase_id == phase.id).order_by(Statement.id)
        ).all()
        for sid, vote in ((first[0], "agree"), (first[1], "disagree")):
            answer = participant.post(
                "/c/demo/phase/1/vote",
                data={"statement_id": sid, "vote": vote, "csrf_token": token},
            )
            assert answer.status_code in (200, 302)
        api_token.append(participant.post("/api/v1/participants").get_json()["token"])
        voted = participant.post(
            f"/api/v1/phases/{phase.id}/votes",
            json={"statement_id": first[2], "vote": "agree"},
            headers={"Authorization": f"Bearer {api_token[0]}"},
        )
        assert voted.status_code == 200
        answer = participant.post(
            "/c/demo/phase/1/statements", data={"text": PARTICIPANT_TEXT, "csrf_token": token}
        )
        assert answer.status_code in (200, 201, 302)
        mine = db.session.scalar(select(Statement).where(Statement.text == PARTICIPANT_TEXT))
        moderator = Staff(app.test_client()).create("support", "moderator@test.example")
        decide([mine.id], Moderation.ACCEPTED, moderator)

    phase = prepare_demo(embedder, before_analysis=take_part)
    mine = db.session.scalar(select(Statement).where(Statement.text == PARTICIPANT_TEXT))
    staff = Staff(client)
    support = staff.login("support")
    support.name = "Mariam Support"
    db.session.commit()

    # The close screen lists the themes still without a response.
    needed = required_themes(phase)
    assert len(needed) >= 3
    screen = client.get("/c/demo/phase/1/close")
    assert screen.status_code == 200
    for theme in needed:
        assert theme.label in screen.text
    token = csrf_from(screen.text)

    # The strategy outline is pasted as Markdown.
    answer = client.post(
        "/c/demo/phase/1/responses/outline",
        data={"markdown": OUTLINE, "mode": "markdown", "csrf_token": token},
    )
    assert answer.status_code == 302

    # Respond to each theme with htmx: the row comes back with the decision.
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    for i, theme in enumerate(needed):
        form = client.get(
            f"/c/demo/phase/1/responses/theme/{theme.id}/edit", headers={"HX-Request": "true"}
        )
        assert form.status_code == 200 and 'name="rationale"' in form.text
        decision = ("adopted", "adapted", "deferred")[i % 3]
        answer = client.post(
            f"/c/demo/phase/1/responses/theme/{theme.id}",
            data={
                "decision": decision,
                "rationale": "" if decision == "adopted" else f"Reason {i}: part of goal 3 now.",
                "sections": ["goal-3"],
                "action": "publish",
            },
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        assert f'id="theme-{theme.id}"' in answer.text
        assert "Published" in answer.text
    # A response to the participant's own statement overrides its theme's.
    answer = client.post(
        "/c/demo/phase/1/responses/statement",
        data={
            "statement_id": mine.id,
            "decision": "adopted",
            "rationale": "Now commitment 3.2 of the strategy.",
            "sections": ["goal-3"],
            "action": "publish",
            "csrf_token": token,
        },
    )
    assert answer.status_code == 302
    screen = client.get("/c/demo/phase/1/close")
    assert "Every theme that needs a response has a published one." in screen.text

    # Close: the phase stops taking input and the reports.close job freezes its record (with
    # CONSULT_JOBS_INLINE the job runs before the redirect).
    answer = client.post("/c/demo/phase/1/close", data={"csrf_token": token})
    assert answer.status_code == 302
    job = db.session.scalar(select(Job).where(Job.kind == "reports.close"))
    assert job is not None and job.state == JobState.DONE
    db.session.refresh(phase)
    assert phase.state == PhaseState.CLOSED
    assert db.session.scalar(select(PhaseRecord).where(PhaseRecord.phase_id == phase.id))
    # Not published yet: the public sees no report, and publishing is refused.
    assert FreshClient(app.test_client()).get("/c/demo/phase/1/report").status_code == 404
    answer = client.post("/c/demo/phase/1/publish", data={"csrf_token": token})
    assert "sign-off" in client.get(answer.headers["Location"]).text

    # A Steering Committee member reviews the draft and signs off.
    steering_client = FreshClient(app.test_client())
    Staff(steering_client).login("steering")
    review = steering_client.get("/c/demo/phase/1/report?draft=1")
    assert review.status_code == 200 and "Draft for review" in review.text
    screen = steering_client.get("/c/demo/phase/1/close")
    answer = steering_client.post(
        "/c/demo/phase/1/sign-off",
        data={"name": "Ana Pérez", "csrf_token": csrf_from(screen.text)},
    )
    assert answer.status_code == 302

    # The Support Unit publishes.
    cache = Path(app.instance_path) / "report-cache"
    before = set(cache.glob("*.pdf"))
    answer = client.post("/c/demo/phase/1/publish", data={"csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/report")
    db.session.refresh(phase)
    assert phase.state == PhaseState.PUBLISHED
    # Publishing queued the PDFs of each of the consultation's languages, so no reader waits.
    job = db.session.scalar(select(Job).where(Job.kind == "reports.pdf"))
    assert job is not None and job.state == JobState.DONE
    assert sorted(job.result["seconds"]) == ["en", "es", "fr"]
    rendered = set(cache.glob("*.pdf")) - before
    assert len(rendered) == 3
    french = FreshClient(app.test_client()).get("/c/demo/phase/1/report.pdf?lang=fr")
    assert french.status_code == 200 and french.data.startswith(b"%PDF")
    assert set(cache.glob("*.pdf")) - before == rendered  # served from what the job rendered
    assert french.data in {path.read_bytes() for path in rendered}

    # Anyone reads the report; the first screen says what, how many, top themes, and decisions.
    public = FreshClient(app.test_client())
    report = public.get("/c/demo/phase/1/report")
    assert report.status_code == 200
    first = _glance(report.text)
    assert "Relevance and role" in first
    assert "What matters most for open government" in first  # what the phase was
    assert re.search(r"<strong>322</strong> people took part online", first)  # 320 + our two
    top = re.findall(r'<span class="theme-name">([^<]+)</span>', first)
    assert len(top) == 3
    assert len(re.findall(r'class="decision decision-(adopted|adapted|deferred)"', first)) == 3
    assert "signed off by Ana Pérez" in first
    assert "Draft for review" not in report.text
    assert "@test.example" not in report.text  # never an e-mail address
    assert PARTICIPANT_TEXT in report.text  # the annex has every statement

    # "What happened to my input": the participant sees their statement and its decision.
    mine_page = participant.get("/my-input")
    assert mine_page.status_code == 200
    block = mine_page.text[mine_page.text.index(f'id="my-statement-{mine.id}"') :]
    block = block[: block.index("</li>")]
    assert "You wrote this" in block
    assert "decision-adopted" in block and "a response to this statement itself" in block
    assert "Goal 3 — Participation that counts" in block
    theme_of_mine = next(t for t in phase_themes(phase) if mine.id in t.statement_ids)
    assert theme_of_mine.label in block

    # The API gives the same disposition.
    api = public.get(f"/api/v1/statements/{mine.id}/disposition").get_json()
    assert api["status"] == "published" and api["decision"] == "adopted"
    assert api["responded"] == "statement" and api["report"]["version"] == 1
    assert api["strategy_sections"] == [
        {"key": "goal-3", "title": "Goal 3 — Participation that counts"}
    ]
    assert api["theme"]["id"] == theme_of_mine.id

    # The same through the API, with the participant's token.
    mine_api = public.get(
        "/api/v1/me/input", headers={"Authorization": f"Bearer {api_token[0]}"}
    ).get_json()["items"]
    assert len(mine_api) == 1 and mine_api[0]["vote"] == "agree"
    voted_id = mine_api[0]["statement_id"]
    theme = next(t for t in phase_themes(phase) if voted_id in t.statement_ids)
    answer_to_theme = db.session.scalar(select(Response).where(Response.theme_id == theme.id))
    assert mine_api[0]["report_version"] == 1 and mine_api[0]["theme"]["id"] == theme.id
    assert mine_api[0]["decision"] == (answer_to_theme.decision.value if answer_to_theme else None)
    assert public.get("/api/v1/me/input").status_code == 401

    # Every response was answered by a named person; and the audit trail kept each change.
    assert {r.answered_by_name for r in db.session.scalars(select(Response))} == {"Mariam Support"}
    audit = client.get("/c/demo/phase/1/responses/audit").text
    assert "signed off" in audit and "published" in audit and "closed" in audit
    assert db.session.scalar(select(User).where(User.name == "Mariam Support"))
