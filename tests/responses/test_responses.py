"""Responses, the strategy outline and the audit trail; who may do what; drafts stay private."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.errors import InvalidInput
from consult.extensions import db
from consult.reports import services as reports
from consult.reports.records import phase_themes
from consult.responses import services
from consult.responses.models import Response, ResponseChange, ResponseState
from consult.responses.outline import parse_sections, render_markdown
from tests.conftest import Staff, csrf_from
from tests.reports.helpers import OUTLINE, FreshClient, prepare_demo, staff_user

pytestmark = [pytest.mark.model, pytest.mark.parametrize("app", ["sqlite"], indirect=True)]


@pytest.fixture
def phase(app, embedder):
    """The demo's open phase 1, analysed, with themes from the real model."""
    return prepare_demo(embedder)


def _theme_ids(phase) -> set[str]:
    return {t.id for t in phase_themes(phase)}


def test_rationale_is_required_except_for_adopted(app, phase):
    support = staff_user("support", "Sam Support")
    theme = phase_themes(phase)[0]
    with pytest.raises(InvalidInput, match="rationale is required"):
        services.save_response(
            phase,
            support,
            theme_id=theme.id,
            decision="not_adopted",
            rationale="  ",
            known_theme_ids=_theme_ids(phase),
        )
    with pytest.raises(InvalidInput, match="choose a decision"):
        services.save_response(
            phase, support, theme_id=theme.id, decision="maybe", known_theme_ids=_theme_ids(phase)
        )
    with pytest.raises(InvalidInput, match="no theme 't999'"):
        services.save_response(
            phase, support, theme_id="t999", decision="adopted", known_theme_ids=_theme_ids(phase)
        )
    with pytest.raises(InvalidInput, match="not in the latest strategy outline: goal-1"):
        services.save_response(
            phase,
            support,
            theme_id=theme.id,
            decision="adopted",
            section_keys=["goal-1"],
            known_theme_ids=_theme_ids(phase),
        )
    response = services.save_response(
        phase, support, theme_id=theme.id, decision="adopted", known_theme_ids=_theme_ids(phase)
    )
    assert response.state == ResponseState.DRAFT and response.answered_by_name == "Sam Support"
    assert db.session.scalar(select(ResponseChange.action)) == "drafted"


def test_every_change_is_kept_with_who_when_before_and_after(app, phase, client):
    support = staff_user("support", "Sam Support")
    other = staff_user("support", "Lea Editor")
    services.save_outline(phase, OUTLINE, support)
    theme = phase_themes(phase)[0]
    known = _theme_ids(phase)
    services.save_response(
        phase,
        support,
        theme_id=theme.id,
        decision="adapted",
        rationale="First reason.",
        section_keys=["goal-1"],
        known_theme_ids=known,
    )
    services.save_response(
        phase,
        other,
        theme_id=theme.id,
        decision="deferred",
        rationale="Phase 2 takes it.",
        section_keys=["goal-1", "goal-3"],
        publish=True,
        known_theme_ids=known,
    )
    # Saving the same values again changes nothing and records nothing.
    services.save_response(
        phase,
        other,
        theme_id=theme.id,
        decision="deferred",
        rationale="Phase 2 takes it.",
        section_keys=["goal-1", "goal-3"],
        publish=True,
        known_theme_ids=known,
    )
    changes = services.audit_trail(phase.id)
    edits = [c for c in changes if c.subject == f"theme {theme.id}"]
    assert [c.action for c in edits] == ["edited and published", "drafted"]
    latest = edits[0]
    assert latest.user_name == "Lea Editor"
    assert latest.before == {
        "decision": "adapted",
        "rationale": "First reason.",
        "sections": ["goal-1"],
        "state": "draft",
    }
    assert latest.after == {
        "decision": "deferred",
        "rationale": "Phase 2 takes it.",
        "sections": ["goal-1", "goal-3"],
        "state": "published",
    }
    assert db.session.scalar(select(Response)).answered_by_name == "Lea Editor"
    assert any(c.subject == "strategy outline" for c in changes)

    Staff(client).login("steering")
    page = client.get("/c/demo/phase/1/responses/audit")
    assert page.status_code == 200
    assert "Lea Editor" in page.text and "First reason." in page.text
    assert "edited and published" in page.text and "Deferred to the next phase" in page.text


def test_outline_versions_sections_and_escaping(app, phase, client):
    Staff(client).login("support")
    url = "/c/demo/phase/1/responses/outline"
    token = csrf_from(client.get(url).text)
    empty = client.post(url, data={"markdown": "   ", "mode": "markdown", "csrf_token": token})
    assert empty.status_code == 422 and "the outline is empty" in empty.text.lower()
    no_heading = client.post(url, data={"markdown": "Just text", "csrf_token": token})
    assert no_heading.status_code == 422 and "has no section" in no_heading.text
    hostile = OUTLINE + "\n## Goal 4 <script>alert(1)</script> {#goal-4}\nSee <b>this</b>.\n"
    saved = client.post(url, data={"markdown": hostile, "mode": "markdown", "csrf_token": token})
    assert saved.status_code == 302
    again = client.post(url, data={"markdown": hostile, "mode": "markdown", "csrf_token": token})
    assert again.status_code == 302  # same text: no new version
    added = client.post(
        url, data={"mode": "section", "title": "Goal 5 — Justice", "body": "", "csrf_token": token}
    )
    assert added.status_code == 302
    versions = services.outline_versions(phase.id)
    assert [o.version for o in versions] == [2, 1]
    keys = [s.key for s in parse_sections(versions[0].markdown)]
    assert keys == [
        "strategy-2027-2031",
        "goal-1",
        "goal-2",
        "goal-3",
        "how-we-work",
        "goal-4",
        "goal-5-justice",
    ]
    page = client.get(url).text
    assert "<script>alert(1)</script>" not in page
    assert "Goal 4 &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>this</b>" not in render_markdown("See <b>this</b>.")


def test_only_support_responds_closes_and_publishes_only_steering_signs_off(app, phase):
    slug = phase.consultation.slug
    theme = phase_themes(phase)[0]
    base = f"/c/{slug}/phase/1"
    support_only = [
        f"{base}/responses/theme/{theme.id}",
        f"{base}/responses/outline",
        f"{base}/close",
        f"{base}/publish",
        f"{base}/settings",
    ]
    anonymous = FreshClient(app.test_client())
    anonymous_token = csrf_from(anonymous.get("/login").text)
    for url in support_only + [f"{base}/sign-off"]:
        answer = anonymous.post(url, data={"csrf_token": anonymous_token})
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], url
    for role in ("steering", "host"):
        client = FreshClient(app.test_client())
        Staff(client).login(role, f"{role}-roles@test.example")
        token = csrf_from(client.get("/").text)
        for url in support_only:
            answer = client.post(url, data={"csrf_token": token, "decision": "adopted"})
            assert answer.status_code == 403, (role, url)
    assert db.session.scalar(select(Response)) is None
    assert phase.state.value == "open"

    support = FreshClient(app.test_client())
    Staff(support).login("support", "support-roles@test.example")
    token = csrf_from(support.get(f"{base}/close").text)
    assert support.post(f"{base}/close", data={"csrf_token": token}).status_code == 302
    db.session.refresh(phase)
    assert phase.state.value == "closed"
    assert support.post(f"{base}/sign-off", data={"csrf_token": token}).status_code == 403
    admin = FreshClient(app.test_client())
    Staff(admin).login("admin", "admin-roles@test.example")
    admin_token = csrf_from(admin.get(f"{base}/close").text)
    answer = admin.post(f"{base}/sign-off", data={"csrf_token": admin_token, "name": "Admin"})
    assert answer.status_code == 403  # admins hold every role, but do not sign for the Committee
    steering = FreshClient(app.test_client())
    Staff(steering).login("steering", "steering-signs@test.example")
    steering_token = csrf_from(steering.get(f"{base}/close").text)
    answer = steering.post(f"{base}/sign-off", data={"csrf_token": steering_token, "name": "Jo"})
    assert answer.status_code == 302
    assert [
        s.name for s in reports.sign_offs_for(phase.id, reports.current_record(phase).record_id)
    ] == ["Jo"]


def test_drafts_are_invisible_to_the_public(app, phase):
    support = staff_user("support", "Sam Support")
    steering = staff_user("steering", "Ana Pérez")
    slug = phase.consultation.slug
    known = _theme_ids(phase)
    services.update_settings(phase, 1, 1, support)
    themes = [t for t in phase_themes(phase) if not t.is_other]
    secret = "Draft reasoning nobody outside the Support Unit should read yet."
    for theme in themes:
        services.save_response(
            phase,
            support,
            theme_id=theme.id,
            decision="adopted",
            publish=True,
            known_theme_ids=known,
        )
    services.save_response(
        phase,
        support,
        theme_id=themes[0].id,
        decision="not_adopted",
        rationale=secret,
        known_theme_ids=known,
    )  # back to a draft, with new text
    statement = phase.statements[0]
    public = FreshClient(app.test_client())
    assert public.get(f"/c/{slug}/phase/1/report").status_code == 404
    before = public.get(f"/api/v1/statements/{statement.id}/disposition").get_json()
    assert before["status"] == "pending" and before["decision"] is None

    reports.close_phase(phase, support)
    assert public.get(f"/c/{slug}/phase/1/report").status_code == 404  # closed, not published
    assert public.get(f"/c/{slug}/phase/1/report?draft=1").status_code == 404
    assert public.get(f"/c/{slug}/phase/1/report.json").status_code == 404
    blockers = reports.publish_blockers(phase)
    assert any("only a draft response" in b for b in blockers)
    # The draft stays out even of the staff preview and of what steering signs.
    services.update_settings(phase, 100, 1, support)
    reports.sign_off(phase, steering)
    reports.publish(phase, support)
    page = public.get(f"/c/{slug}/phase/1/report")
    assert page.status_code == 200 and secret not in page.text
    data = public.get(f"/c/{slug}/phase/1/report.json").get_json()
    assert themes[0].id not in data["responses"]["themes"]
    assert secret not in str(data)
    for theme in themes[1:]:
        assert data["responses"]["themes"][theme.id]["decision"] == "adopted"
    in_first = next(t for t in themes if statement.id in t.statement_ids)
    after = public.get(f"/api/v1/statements/{statement.id}/disposition").get_json()
    assert after["status"] == "published" and after["report"]["version"] == 1
    assert after["decision"] == (None if in_first.id == themes[0].id else "adopted")
