"""Schemathesis on /api/v1/openapi.json, in process: no 5xx, every answer matches the document."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    """An app on its own SQLite database with one open phase (ids 1…) and a few statements."""
    from tests.conftest import _make_app, _migrate

    folder = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{folder / 'fuzz.db'}"
    _migrate(url, folder)
    app = _make_app(url)
    with app.app_context():
        from consult.consultations.models import PhaseState
        from consult.consultations.services import add_phase, create_consultation, set_phase_state
        from consult.participation.services import add_seed_statement

        consultation = create_consultation("fuzz", "Fuzzed consultation")
        phase = add_phase(consultation, "Open phase", "", strict_moderation=False)
        set_phase_state(phase, PhaseState.OPEN)
        for i in range(3):
            add_seed_statement(phase, f"Seed statement {i} for the fuzzer to vote on.")
        yield app
        from consult.extensions import db

        db.session.remove()
        db.engine.dispose()


def test_api_conforms_to_its_document(fuzz_app):
    """Every operation, 25 generated requests each (valid and invalid bodies and ids)."""
    from flask import g
    from hypothesis import given

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    tested = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            for key in list(g):
                g.pop(key)
            token = fuzz_app.test_client().post("/api/v1/participants", json={}).json["token"]
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

        run()
        tested.append(operation.label)
    assert len(tested) == len(operations)
