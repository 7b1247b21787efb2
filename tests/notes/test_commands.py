"""``consult import-notes``: imports without preview, prints what it did, refuses bad input."""

from __future__ import annotations

from sqlalchemy import func, select

from consult.extensions import db
from consult.notes.models import CommunityConversation, NoteUpload
from consult.participation.models import Origin, Statement
from tests.notes.samples import DATA


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_notes_prints_each_statement_and_is_idempotent(runner, make_phase):
    phase = make_phase(1, slug="strategy")
    args = [
        "import-notes", "strategy", "1", str(DATA / "dialogue-regional-sud.txt"),
        "--host", "Réseau citoyen pour la transparence", "--date", "2026-03-21",
        "--region", "Sud", "--participants", "38", "--language", "fr",
    ]  # fmt: skip
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Conversation 1: “Community conversation hosted by Réseau citoyen" in out
    assert "line 12: Les comptes rendus des conseils municipaux doivent être affichés" in out
    assert "skipped  line 5: Looks like a label" in out
    assert out.endswith(
        "Imported from dialogue-regional-sud.txt: 11 new statements (waiting for moderation), "
        "7 dropped.\n"
    )
    statements = list(
        db.session.scalars(select(Statement).where(Statement.origin == Origin.IMPORTED))
    )
    assert len(statements) == 11 and {s.language for s in statements} == {"fr"}
    conversation = db.session.scalar(select(CommunityConversation))
    assert (conversation.region, conversation.participant_count) == ("Sud", 38)
    assert phase.id == conversation.phase_id

    again = runner.invoke(args=args)
    assert again.exit_code == 0
    assert "was already imported for this conversation" in again.output
    assert again.output.strip().endswith("nothing new was imported.")
    assert count(Statement) == 12 and count(NoteUpload) == 1


def test_import_notes_says_which_encoding_it_used(runner, make_phase):
    make_phase(0, slug="strategy")
    result = runner.invoke(
        args=["import-notes", "strategy", "1", str(DATA / "seance-jeunes-votes.csv"),
              "--host", "Conseil des jeunes", "--date", "2026-04-05", "--language", "fr"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "it was read as Windows-1252 (detected)" in result.output
    assert "row 2: Créer un conseil municipal des jeunes élu" in result.output


def test_import_notes_refuses_bad_input_and_imports_nothing(runner, make_phase, tmp_path):
    make_phase(0, slug="strategy")
    notes = DATA / "youth-session-votes.csv"
    nameless = tmp_path / "ideas.csv"
    nameless.write_text("idea,votes\nYouth hearings before the budget,4\n")
    cases = [
        (["--date", "2099-01-01"], notes, "The date 2099-01-01 is in the future"),
        (["--date", "yesterday"], notes, "'yesterday' is not a date"),
        (["--date", "2026-04-02", "--participants", "-1"], notes, "cannot be negative"),
        (["--date", "2026-04-02", "--language", "English"], notes, "is not a language code"),
        (["--date", "2026-04-02"], nameless, "ideas.csv (line 1): the CSV has no 'text' column"),
        (["--date", "2026-04-02"], tmp_path / "missing.md", "missing.md: no such file"),
    ]
    for extra, path, message in cases:
        result = runner.invoke(
            args=[
                "import-notes",
                "strategy",
                "1",
                str(path),
                "--host",
                "Coast Youth Network",
                *extra,
            ]
        )
        assert result.exit_code == 1, result.output
        assert message in result.output
    unknown = runner.invoke(
        args=["import-notes", "strategy", "9", str(notes), "--host", "X", "--date", "2026-04-02"]
    )
    assert unknown.exit_code == 1 and "consultation 'strategy' has no phase 9" in unknown.output
    assert count(CommunityConversation) == count(NoteUpload) == 0
    assert count(Statement) == 0
