"""Statement languages and translations: detection, moderators' corrections, translations that
participants read, votes that always count for the original, titles per language."""

from __future__ import annotations

from sqlalchemy import func, select

from consult.extensions import db
from consult.i18n import COOKIE_NAME
from consult.participation import services
from consult.participation.models import Statement, StatementTranslation, Vote, VoteHistory
from consult.participation.translations import detect_language, shown_statement
from tests.conftest import csrf_from

HTMX = {"HX-Request": "true"}


def test_language_is_detected_when_a_statement_arrives(make_phase):
    phase = make_phase(0, strict=False)
    author, _ = services.create_participant()
    written = {
        "fr": "Il faut publier tous les contrats publics en ligne, avec le nom du gagnant.",
        "es": "Los ayuntamientos deberían publicar sus presupuestos en formato abierto.",
        "en": "Every council should publish its budget as open data each year.",
        "pt": "As câmaras municipais devem publicar os seus orçamentos em dados abertos.",
    }
    for language, text in written.items():
        assert services.add_statement(phase, author, text).language == language
    seed = services.add_seed_statement(phase, "La justicia debe ser más transparente.")
    assert seed.language == "es"
    # Too little to tell: the consultation's first language, for a moderator to check.
    assert detect_language("OK merci !!", ["en"], "en") in {"en", "fr"}
    assert detect_language("   ", ["en"], "en") == "en"


def test_support_corrects_a_language_from_the_queue(client, staff, make_phase):
    phase = make_phase(0)
    author, _ = services.create_participant()
    statement = services.add_statement(phase, author, "Transparency now, in every ministry!")
    staff.login("support")
    queue = client.get("/moderation/")
    assert f'id="language-{statement.id}"' in queue.text
    response = client.post(
        f"/moderation/statements/{statement.id}/language",
        data={"language": "fr"},
        headers={**HTMX, "X-CSRFToken": csrf_from(queue.text)},
    )
    assert response.status_code == 200 and "Language set to French." in response.text
    db.session.expire_all()
    assert db.session.get(Statement, statement.id).language == "fr"
    bad = client.post(
        f"/moderation/statements/{statement.id}/language",
        data={"language": "français", "csrf_token": csrf_from(queue.text)},
        follow_redirects=True,
    )
    assert "Choose a language code of two or three letters" in bad.text
    db.session.expire_all()
    assert db.session.get(Statement, statement.id).language == "fr"


def test_only_staff_with_the_right_role_touch_languages(client, staff, make_phase):
    phase = make_phase(1)
    statement = phase.statements[0]
    assert client.get(f"/moderation/statements/{statement.id}").status_code == 302
    staff.login("steering")
    assert client.get(f"/moderation/statements/{statement.id}").status_code == 403
    assert client.get("/moderation/translations").status_code == 403


def test_host_adds_a_translation_and_a_french_reader_sees_it(client, staff, make_phase):
    phase = make_phase(1)
    statement = phase.statements[0]
    host = staff.login("host")
    page = client.get(f"/moderation/statements/{statement.id}")
    assert page.status_code == 200 and statement.text in page.text
    assert 'id="language-form-' not in page.text  # correcting the language is for the Support Unit
    french = "Affirmation de départ numéro 1 sur le gouvernement ouvert."
    saved = client.post(
        f"/moderation/statements/{statement.id}/translations",
        data={"language": "fr", "text": f"  {french} ", "csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert "Translation saved." in saved.text
    row = db.session.scalar(select(StatementTranslation))
    assert (row.language, row.text, row.entered_by_id, row.entered_by_role) == (
        "fr",
        french,
        host.id,
        "host",
    )
    assert "Entered by a community host" in saved.text
    client.post("/logout", data={"csrf_token": csrf_from(saved.text)})

    client.set_cookie(COOKIE_NAME, "fr")
    phase_page = client.get(f"/c/{phase.consultation.slug}/phase/1/")
    assert '<blockquote class="statement-text" id="current-statement" lang="fr"' in phase_page.text
    assert french in phase_page.text
    # The original one tap away: a native disclosure, with the original marked as English.
    assert '<details class="statement-original"' in phase_page.text
    assert "Voir l'original (anglais)" in phase_page.text
    assert f'<blockquote lang="en">{statement.text}</blockquote>' in phase_page.text
    client.set_cookie(COOKIE_NAME, "es")  # no Spanish translation: the original, no disclosure
    spanish_page = client.get(f"/c/{phase.consultation.slug}/phase/1/")
    assert statement.text in spanish_page.text and "statement-original" not in spanish_page.text


def test_votes_on_a_translation_count_for_the_original(client, staff, make_phase):
    phase = make_phase(2)
    first, second = phase.statements
    support = staff.create("support")
    from consult.participation.translations import save_translation

    save_translation(first, "es", "Afirmación inicial número 1 sobre gobierno abierto.", support)
    save_translation(second, "es", "Afirmación inicial número 2 sobre gobierno abierto.", support)
    client.set_cookie(COOKIE_NAME, "es")
    page = client.get(f"/c/{phase.consultation.slug}/phase/1/")
    assert "Afirmación inicial número 1" in page.text
    response = client.post(
        f"/c/{phase.consultation.slug}/phase/1/vote",
        data={"statement_id": first.id, "vote": "agree", "csrf_token": csrf_from(page.text)},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Su voto «De acuerdo» se ha registrado." in response.text
    assert "Afirmación 2 de 2" in response.text and "Afirmación inicial número 2" in response.text
    votes = db.session.execute(select(Vote.statement_id, Vote.value)).all()
    assert votes == [(first.id, 1)]
    assert db.session.scalar(select(func.count()).select_from(VoteHistory)) == 1
    # The original and the English page see the same vote: progress moved for everyone.
    client.set_cookie(COOKIE_NAME, "en")
    english = client.get(f"/c/{phase.consultation.slug}/phase/1/")
    assert "Statement 2 of 2" in english.text and second.text in english.text


def test_removing_a_translation_and_refusing_the_same_language(app, staff, make_phase):
    import pytest

    from consult.errors import InvalidInput
    from consult.participation.translations import save_translation

    phase = make_phase(1)
    statement = phase.statements[0]
    support = staff.create("support")
    save_translation(statement, "fr", "Une traduction.", support)
    assert save_translation(statement, "fr", "   ", support) is None
    assert db.session.scalar(select(func.count()).select_from(StatementTranslation)) == 0
    with pytest.raises(InvalidInput, match="already written in this language"):
        save_translation(statement, "en", "Same language.", support)
    with app.test_request_context("/"):
        shown = shown_statement(statement, "fr")
    assert not shown.translated and shown.text == statement.text


def test_titles_and_descriptions_per_language_with_fallback(client, runner, make_phase):
    phase = make_phase(1)
    slug = phase.consultation.slug
    result = runner.invoke(
        args=["translate", "consultation", slug, "fr", "--title", "Consultation d'essai"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["translate", "phase", slug, "1", "es", "--title", "Pertinencia y papel"]
    )
    assert result.exit_code == 0, result.output
    refused = runner.invoke(args=["translate", "phase", slug, "1", "español", "--title", "x"])
    assert refused.exit_code != 0 and "two or three letters" in refused.output

    client.set_cookie(COOKIE_NAME, "fr")
    french = client.get(f"/c/{slug}/")
    assert "<h1>Consultation d&#39;essai</h1>" in french.text
    # No French phase title: the original, marked as English for screen readers.
    assert '<h3 lang="en">' in french.text and "Relevance and role" in french.text
    client.set_cookie(COOKIE_NAME, "es")
    spanish = client.get(f"/c/{slug}/phase/1/")
    assert "<h1>Pertinencia y papel</h1>" in spanish.text
    assert 'lang="en">Test consultation' in spanish.text
    assert "Consultation d&#39;essai" not in spanish.text


def test_themes_read_each_statements_detected_language(make_phase):
    """Keyword labels use each statement's stop words: the theme job gets the stored language."""
    from consult.participation.translations import set_statement_language
    from consult.themes.services import consultation_statements

    phase = make_phase(1, strict=False)
    author, _ = services.create_participant()
    french = services.add_statement(
        phase, author, "Les petites communes ont besoin de budgets participatifs."
    )
    spanish = services.add_statement(
        phase, author, "Las comunidades rurales necesitan presupuestos participativos."
    )
    rows = {r.id: r.language for r in consultation_statements(phase.consultation_id)}
    assert rows[french.id] == "fr" and rows[spanish.id] == "es"
    assert rows[phase.statements[0].id] == "en"
    set_statement_language(spanish, "pt")  # a moderator's correction reaches the themes too
    rows = {r.id: r.language for r in consultation_statements(phase.consultation_id)}
    assert rows[spanish.id] == "pt"
