"""``consult report verify`` recomputes every figure from the frozen record and catches changes."""

from __future__ import annotations

import json
import zlib

import pytest
from sqlalchemy import select

from consult.extensions import db
from consult.reports.models import PhaseRecord, PhaseReport
from consult.reports.records import canonical_json, pack_votes, unpack_votes
from tests.reports.helpers import publish_demo

pytestmark = [pytest.mark.model, pytest.mark.parametrize("app", ["sqlite"], indirect=True)]


def _document(report: PhaseReport) -> dict:
    return json.loads(zlib.decompress(report.document))


def _store(report: PhaseReport, document: dict) -> None:
    report.document = zlib.compress(canonical_json(document))
    db.session.commit()


def test_verify_passes_then_fails_on_a_tampered_figure(app, runner, embedder):
    publish_demo(embedder)
    ok = runner.invoke(args=["report", "verify", "demo", "1"])
    assert ok.exit_code == 0, ok.output
    assert "ok   version 1: report figures" in ok.output
    assert "ok   analysis statistics" in ok.output

    report = db.session.scalar(select(PhaseReport))
    original = _document(report)
    tampered = json.loads(json.dumps(original))
    theme = tampered["figures"]["themes"][0]
    theme["agree_share"] = round(theme["agree_share"] + 0.05, 4)
    _store(report, tampered)
    failed = runner.invoke(args=["report", "verify", "demo", "1"])
    assert failed.exit_code == 1
    assert "FAIL version 1: report figures" in failed.output
    assert "figures.themes[0].agree_share: report says" in failed.output
    assert "FAIL version 1: report body hash" in failed.output

    # A changed vote count in the annex is caught the same way.
    tampered = json.loads(json.dumps(original))
    tampered["figures"]["statements"][5]["n_agree"] += 1
    _store(report, tampered)
    failed = runner.invoke(args=["report", "verify", "demo", "1"])
    assert failed.exit_code == 1
    assert "figures.statements[5].n_agree" in failed.output

    _store(report, original)
    assert runner.invoke(args=["report", "verify", "demo", "1"]).exit_code == 0


def test_verify_fails_when_the_frozen_votes_change(app, runner, embedder):
    publish_demo(embedder)
    record = db.session.scalar(select(PhaseRecord))
    pids, sids, values = unpack_votes(zlib.decompress(record.votes))
    values = values.copy()
    values[0] = 1 if values[0] != 1 else -1  # one participant's vote flipped
    record.votes = zlib.compress(pack_votes(pids, sids, values))
    db.session.commit()
    failed = runner.invoke(args=["report", "verify", "demo", "1"])
    assert failed.exit_code == 1
    assert "FAIL record hash" in failed.output
    assert "FAIL votes → analysis" in failed.output
    assert "FAIL analysis statistics" in failed.output
    assert "FAIL version 1: report figures" in failed.output
