"""The demo consultation loads once, with the phases and simulated votes the pages need."""

from __future__ import annotations

from sqlalchemy import func, select

from consult.consultations.services import get_consultation
from consult.demo import content
from consult.extensions import db
from consult.participation.models import Moderation, Statement, Vote


def test_demo_load_once(runner):
    first = runner.invoke(args=["demo", "load", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "Loaded the demo consultation" in first.output
    assert "Analysed phase 1: 3 opinion groups." in first.output
    assert "Imported 13 points from 2 community conversations" in first.output
    assert "themes." in first.output
    second = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "nothing loaded" in second.output
    consultation = get_consultation("demo")
    assert [p.state.value for p in consultation.phases] == ["open", "draft", "draft"]
    accepted = db.session.scalar(
        select(func.count())
        .select_from(Statement)
        .where(Statement.moderation == Moderation.ACCEPTED)
    )
    assert accepted == len(content.STATEMENTS) >= 40
    voters = db.session.scalar(select(func.count(func.distinct(Vote.participant_id))))
    assert voters == sum(content.GROUP_SIZES) >= 200
