"""A seeded world for the security tests: the demo with phase 1 published, a host's community
conversation, and hostile text (script and HTML) in a statement, a host name and a rationale."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

# Text that would run or restyle the page if rendered unescaped anywhere.
STATEMENT_XSS = (
    "<script>alert('statement')</script> Budgets <b>must</b> be <img src=x onerror=alert(1)> open."
)
HOST_XSS = "Youth <script>alert('host')</script> <i>Forum</i>"
RATIONALE_XSS = "We <marquee>merged</marquee> it <script>alert('rationale')</script> into goal 3."
NAME_XSS = "Sam <script>alert('name')</script> Support"
NOTES_TEXT = "- Open <b>budget</b> data for every municipality in the region\n"


@dataclass
class World:
    app: object
    phase_id: int
    statement_id: int
    conversation_id: int
    upload_id: int
    candidate_key: str
    report_theme_id: str
    curation_theme_id: str
    response_id: int
    host_email: str


class FreshClient:
    """A test client whose requests start with an empty ``g`` (the app context stays pushed)."""

    def __init__(self, client) -> None:
        self.client = client

    def open(self, *args, **kwargs):
        from flask import g

        for key in list(g):
            g.pop(key)
        return self.client.open(*args, **kwargs)

    def get(self, *args, **kwargs):
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args, **kwargs):
        return self.open(*args, method="POST", **kwargs)


CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
PASSWORD = "correct horse battery"


def login(client: FreshClient, email: str) -> None:
    page = client.get("/login")
    token = CSRF_HEADER.search(page.text).group(1)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.text


@pytest.fixture
def another_app(app):
    """Factory: another app on ``app``'s database, built from the environment as it is then and
    these config overrides (as a second web process would be); its connections closed at the end.

    Its requests push its own app context, so nothing carries over between them."""
    from consult.extensions import db
    from tests.conftest import _make_app

    made = []

    def factory(**overrides):
        made.append(_make_app(app.config["SQLALCHEMY_DATABASE_URI"], **overrides))
        return made[-1]

    yield factory
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()  # PostgreSQL warns about connections left open


@pytest.fixture(scope="session")
def world(tmp_path_factory, embedder):
    """The demo (phase 1 published, with the hostile texts in it) on its own SQLite database."""
    from consult.accounts.services import create_user
    from consult.notes.services import import_notes_file
    from consult.participation.services import add_seed_statement
    from consult.reports import services as reports
    from consult.responses import services as responses
    from consult.themes.services import current_themes
    from tests.conftest import _make_app, _migrate
    from tests.reports.helpers import OUTLINE, prepare_demo

    folder = tmp_path_factory.mktemp("security-world")
    url = f"sqlite:///{folder / 'world.db'}"
    _migrate(url, folder)
    app = _make_app(url)
    context = app.app_context()
    context.push()
    try:
        host = create_user("host@world.example", PASSWORD, "host", HOST_XSS)
        for role in ("support", "steering", "admin"):
            create_user(f"{role}@world.example", PASSWORD, role, NAME_XSS)
        create_user("host2@world.example", PASSWORD, "host", "Other host")

        added = {}

        def before_analysis(phase):
            added["statement"] = add_seed_statement(phase, STATEMENT_XSS, "en")
            result = import_notes_file(
                phase,
                "notes.md",
                NOTES_TEXT.encode(),
                host_organisation=HOST_XSS,
                held_on="2026-01-15",
                region="North <b>Region</b>",
                participant_count=12,
                consent_to_publish=True,
                host_user=host,
            )
            added["upload"] = result.upload

        phase = prepare_demo(embedder, before_analysis)
        from consult.accounts.models import User
        from consult.extensions import db
        from consult.reports.records import phase_themes

        support = db.session.scalar(User.by_email("support@world.example"))
        steering = db.session.scalar(User.by_email("steering@world.example"))
        responses.save_outline(phase, OUTLINE, support)
        themes = phase_themes(phase)
        settings = responses.settings_for(phase.id)
        needed = [t for t in themes if not t.is_other and t.size >= settings.min_theme_size]
        theme_of_payload = next(
            (t for t in themes if added["statement"].id in t.statement_ids), needed[0]
        )
        for theme in dict.fromkeys([theme_of_payload, *needed]):
            response = responses.save_response(
                phase,
                support,
                theme_id=theme.id,
                decision="adapted",
                rationale=RATIONALE_XSS,
                section_keys=["goal-3"],
                publish=True,
                known_theme_ids={t.id for t in themes},
            )
        reports.close_phase(phase, support)
        reports.sign_off(phase, steering, "Ana <script>alert('signer')</script> Pérez")
        reports.publish(phase, support)
        upload = added["upload"]
        yield World(
            app=app,
            phase_id=phase.id,
            statement_id=added["statement"].id,
            conversation_id=upload.conversation_id,
            upload_id=upload.id,
            candidate_key=upload.candidates[0]["key"],
            report_theme_id=theme_of_payload.id,
            curation_theme_id=current_themes(phase.consultation).result.themes[0].id,
            response_id=response.id,
            host_email=host.email,
        )
    finally:
        from consult.extensions import db

        db.session.remove()
        db.engine.dispose()
        context.pop()
