"""Building the report: byte-identical HTML and JSON, a PDF whose pages look right, escaping."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from consult.extensions import db
from consult.notes.services import import_notes_file
from consult.participation.models import Moderation, Origin, Statement
from consult.responses import services as responses
from consult.responses.models import Response
from tests.reports.helpers import publish_demo

pytestmark = [pytest.mark.model, pytest.mark.parametrize("app", ["sqlite"], indirect=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NOTES = Path(__file__).resolve().parents[1] / "data" / "notes"
HOSTILE = "<script>alert('x')</script> Lobbying registers & meeting logs must be <b>public</b>."
HOSTILE_RATIONALE = "Adapted: see <img src=x onerror=alert(1)> and [this](javascript:alert(2))."


def _hostile_statement(phase) -> None:
    db.session.add(
        Statement(
            phase_id=phase.id,
            text=HOSTILE,
            language="en",
            origin=Origin.ONLINE,
            moderation=Moderation.ACCEPTED,
        )
    )
    db.session.commit()


def _hostile_statement_and_a_youth_session(phase) -> None:
    """Also a community conversation: its notes imported, their points accepted."""
    from consult.moderation.services import decide
    from tests.reports.helpers import staff_user

    _hostile_statement(phase)
    result = import_notes_file(
        phase,
        "youth-session-votes.csv",
        (NOTES / "youth-session-votes.csv").read_bytes(),
        host_organisation="Coast Youth Network",
        held_on="2026-03-02",
        title="Youth session, Coast region",
        region="Coast",
        participant_count=38,
        groups="youth, students",
        open_for_voting=False,
    )
    ids = [statement.id for statement, _ in result.created]
    assert len(ids) >= 5
    decide(ids, Moderation.ACCEPTED, staff_user("support", "Moderator Mo"))


def _build(runner, fmt: str, out: Path) -> bytes:
    result = runner.invoke(
        args=["report", "build", "demo", "1", "--format", fmt, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_builds_are_identical_and_escape_user_text(app, runner, embedder, tmp_path):
    phase = publish_demo(embedder, before_analysis=_hostile_statement_and_a_youth_session)
    html = [_build(runner, "html", tmp_path / f"r{i}.html") for i in range(2)]
    data = [_build(runner, "json", tmp_path / f"r{i}.json") for i in range(2)]
    annex = [_build(runner, "csv", tmp_path / f"r{i}.csv") for i in range(2)]
    assert html[0] == html[1] and data[0] == data[1] and annex[0] == annex[1]

    text = html[0].decode()
    assert "<script>alert" not in text and "<b>public</b>" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    document = json.loads(data[0])
    assert any(row["text"] == HOSTILE for row in document["figures"]["statements"])
    assert "@test.example" not in text and "@test.example" not in data[0].decode()
    assert "token" not in data[0].decode()
    # The community conversation: counted apart from online votes, with its region and groups.
    process = document["figures"]["process"]
    assert process["conversations"] == 1 and process["conversation_participants"] == 38
    assert process["regions"] == {"Coast": 1}
    assert process["conversation_groups"] == {"students": 1, "youth": 1}
    assert "community conversations in person" in process["channels"]
    offline = [t for t in document["figures"]["themes"] if t["offline"]["statements"]]
    assert sum(t["offline"]["statements"] for t in offline) == process["statements_raised_offline"]
    assert sum(t["offline"]["votes_for"] or 0 for t in offline) >= 21 + 17 + 24
    assert "38</strong> in 1 community conversation" in text
    assert "Coast (1)" in text and "youth (1)" in text
    assert "Youth session, Coast region" in text and "Coast Youth Network" in text
    assert "(raised in 1 conversation)" in text
    assert runner.invoke(args=["report", "verify", "demo", "1"]).exit_code == 0

    rows = list(csv.DictReader(io.StringIO(annex[0].decode())))
    assert len(rows) == len(document["figures"]["statements"])
    assert {r["statement_id"] for r in rows} == {
        str(s["id"]) for s in document["figures"]["statements"]
    }

    # A rationale with HTML and a javascript: link is shown as text, the link dropped.
    response = db.session.scalars(select(Response)).first()
    theme_ids = [t["id"] for t in document["figures"]["themes"]]
    responses.save_response(
        phase,
        None,
        theme_id=response.theme_id,
        decision="adapted",
        rationale=HOSTILE_RATIONALE,
        section_keys=response.section_keys,
        publish=True,
        known_theme_ids=theme_ids,
    )
    result = runner.invoke(
        args=["report", "build", "demo", "1", "--draft", "--out", str(tmp_path / "d.html")]
    )
    assert result.exit_code == 0, result.output
    draft = (tmp_path / "d.html").read_text()
    assert "Draft for review" in draft
    assert "<img" not in draft and 'href="javascript:' not in draft
    assert "&lt;img src=x onerror=alert(1)&gt;" in draft


def test_pdf_pages_render(app, runner, embedder, tmp_path):
    import pypdfium2 as pdfium

    publish_demo(embedder, before_analysis=_hostile_statement_and_a_youth_session)
    pdf = pdfium.PdfDocument(_build(runner, "pdf", tmp_path / "report.pdf"))
    assert 5 <= len(pdf) <= 40
    first = pdf[0].get_textpage().get_text_range()
    assert "Phase 1 report: Relevance and role" in first
    assert "At a glance" in first and "people took part online" in first
    assert "Page 1 of" in first
    everything = " ".join(
        " ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))
    )
    assert "Annex: every statement" in everything
    assert "<script>alert('x')</script> Lobbying registers" in everything  # shown, not run
    ARTIFACTS.mkdir(exist_ok=True)
    for i in range(len(pdf)):
        image = pdf[i].render(scale=1.0).to_pil().convert("L")
        assert image.size == (595, 842) or image.size == (596, 842)  # A4 at 72 dpi
        dark = int((np.asarray(image) < 128).sum())
        assert dark > 500, f"page {i + 1} is (nearly) blank"
        if i < 3:
            image.save(ARTIFACTS / f"report-page-{i + 1}.png")
    pdf.close()
