"""Importing notes: provenance of every statement, idempotence, all-or-nothing, offline counts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from consult.analysis.services import phase_votes
from consult.errors import ConsultError, InvalidInput, NotFound
from consult.extensions import db
from consult.moderation.services import decide
from consult.notes import services
from consult.notes.models import CommunityConversation, NoteUpload, StatementSource, UploadState
from consult.participation import services as participation
from consult.participation.models import Moderation, Origin, Statement, Vote, VoteHistory
from tests.notes.samples import SAMPLES, WORD_SAMPLES, import_sample, sample_bytes

ALL_SAMPLES = [*SAMPLES, *WORD_SAMPLES]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def imported(phase) -> list[Statement]:
    return list(
        db.session.scalars(
            select(Statement).where(
                Statement.phase_id == phase.id, Statement.origin == Origin.IMPORTED
            )
        )
    )


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def test_every_imported_statement_traces_back_to_its_conversation_and_passage(
    app, make_phase, tmp_path
):
    phase = make_phase(0)
    results = {name: import_sample(phase, name, tmp_path) for name in ALL_SAMPLES}
    statements = imported(phase)
    assert len(statements) == sum(len(r.created) for r in results.values()) > 60
    sources = services.sources_for_statements(s.id for s in statements)
    for statement in statements:
        assert statement.moderation == Moderation.PENDING
        assert sources.get(statement.id), f"statement {statement.id} has no source"
        for source in sources[statement.id]:
            conversation = source.conversation
            upload = source.upload
            assert conversation.phase_id == phase.id
            assert upload.conversation_id == conversation.id
            assert upload.state == UploadState.IMPORTED
            assert statement.language == conversation.language
            # The passage is in the text kept for publication, at the line / row it names …
            assert source.passage and source.passage in upload.raw_text
            if re.match(r"^(line|lines|row) \d", source.location):
                lines = upload.raw_text.split("\n")
                at = upload.raw_text.index(source.passage)
                assert upload.raw_text.count("\n", 0, at) + 1 == source.line_number
                assert lines[source.line_number - 1].strip()
            else:
                assert re.match(
                    r"^(paragraph \d+(, sentence \d+)?|table \d+, row \d+)$", source.location
                )
            # … and says what the statement says (the statement's words all come from it).
            assert words(statement.text) <= words(source.passage), (statement.text, source.passage)
    conversations = services.conversations_for_phase(phase)
    assert len(conversations) == len(ALL_SAMPLES)
    raised = {sid for c in conversations for sid in c.statement_ids}
    assert raised == {s.id for s in statements}


def test_same_file_again_imports_nothing_new_and_says_so(app, make_phase):
    phase = make_phase(0)
    first = import_sample(phase, "regional-dialogue-north.md")
    assert len(first.created) == 16 and first.dropped == 5
    before = (count(Statement), count(StatementSource), count(NoteUpload))
    with pytest.raises(services.AlreadyImported) as again:
        import_sample(phase, "regional-dialogue-north.md")
    assert "regional-dialogue-north.md was already imported for this conversation" in str(
        again.value.message
    )
    assert again.value.message.endswith("nothing new was imported.")
    assert (count(Statement), count(StatementSource), count(NoteUpload)) == before
    # A new version of the notes: only the added point is new; the rest is recognised.
    updated = sample_bytes("regional-dialogue-north.md").replace(
        b"## Anti-corruption\n",
        b"## Anti-corruption\n\n"
        b"- Audit reports of the district should be read out at the baraza.\n",
    )
    result = services.import_notes_file(
        phase,
        "regional-dialogue-north-v2.md",
        updated,
        host_organisation="highlands civic forum",  # same host, any case: same conversation
        held_on="2026-03-14",
    )
    assert [s.text for s, _ in result.created] == [
        "Audit reports of the district should be read out at the baraza."
    ]
    assert result.already == 16
    assert (
        "1 new statement" in result.summary() and "16 points already imported" in result.summary()
    )
    assert count(CommunityConversation) == 1


def test_a_point_raised_again_adds_support_instead_of_a_duplicate(app, make_phase):
    phase = make_phase(0)
    online = participation.add_seed_statement(
        phase,
        "Free Wi-Fi in public libraries so that young people can follow county assembly sessions.",
    )
    import_sample(phase, "youth-session-votes.csv")
    again = (
        "text,votes_for,votes_against\n"
        "INTERNSHIPS in county departments should be advertised publicly; "
        "not given to relatives,9,0\n"
    )
    result = services.import_notes_file(
        phase,
        "follow-up.csv",
        again.encode(),
        host_organisation="Kilifi Youth Caucus",
        held_on="2026-04-10",
    )
    assert result.created == [] and len(result.linked) == 1
    coast = import_sample(phase, "youth-session-coast.txt")
    assert online.id in {s.id for s, _ in coast.linked}
    internships = result.linked[0][0]
    support = services.offline_support([internships.id, online.id, 999_999])
    entry = support[internships.id]
    assert [c["host_organisation"] for c in entry["conversations"]] == [
        "Coast Youth Network",
        "Kilifi Youth Caucus",
    ]
    assert (entry["votes_for"], entry["votes_against"]) == (24 + 9, 1 + 0)
    assert entry["conversations"][0]["speaker_groups"] == ["young graduates"]
    assert entry["conversations"][0]["locations"] == ["row 4"]
    assert support[online.id]["conversations"][0]["title"].endswith("Coast Youth Network")
    assert (support[online.id]["votes_for"], support[online.id]["votes_against"]) == (None, None)
    assert support[999_999] == {"conversations": [], "votes_for": None, "votes_against": None}
    db.session.refresh(online)
    assert online.origin == Origin.SEED  # linking never changes the statement itself


def test_room_counts_stay_out_of_the_vote_matrix(app, make_phase):
    phase = make_phase(0)
    result = import_sample(phase, "youth-session-votes.csv")
    ids = [s.id for s, _ in result.created]
    assert count(Vote) == 0 and count(VoteHistory) == 0
    support = participation.create_participant()[0]
    decide(ids, Moderation.ACCEPTED, _moderator())
    participation.record_vote(phase, support, ids[0], participation.VoteValue.DISAGREE)
    votes = phase_votes(phase)
    assert votes.values.tolist() == [-1]  # one online vote; the 21 + 2 in the room are not votes
    assert services.offline_support([ids[0]])[ids[0]]["votes_for"] == 21


def _moderator():
    from consult.accounts.services import create_user

    return create_user("support@notes.test", "correct horse battery", "support", "Support")


def test_not_open_for_voting_is_recorded_but_never_shown_to_voters(app, make_phase):
    phase = make_phase(1)
    result = import_sample(phase, "seance-jeunes-votes.csv", open_for_voting=False)
    ids = [s.id for s, _ in result.created]
    decide(ids, Moderation.ACCEPTED, _moderator())
    voter = participation.create_participant()[0]
    assert participation.progress(phase, voter).total == 1  # only the seed statement
    shown = participation.next_statement(phase, voter)
    assert shown is not None and shown.origin == Origin.SEED
    with pytest.raises(ConsultError, match="not open for voting"):
        participation.record_vote(phase, voter, ids[0], participation.VoteValue.AGREE)
    voting = import_sample(phase, "youth-session-votes.csv")
    decide([s.id for s, _ in voting.created], Moderation.ACCEPTED, _moderator_again())
    assert participation.progress(phase, voter).total == 1 + len(voting.created)


def _moderator_again():
    from consult.accounts.models import User

    return db.session.scalar(User.by_email("support@notes.test"))


BAD_INPUTS = [
    ("empty.txt", b"", {}, "empty.txt: the file is empty."),
    ("minutes.pdf", b"%PDF-1.4", {}, "minutes.pdf: files of type .pdf cannot be read"),
    (
        "notes.txt",
        "Les élus doivent rendre compte.".encode("cp1252"),
        {"declared_encoding": "utf-8"},
        "notes.txt (line 1, column 5): byte 0xE9 cannot be read as UTF-8",
    ),
    (
        "votes.csv",
        b"idea,votes_for\nPublish the budget,3\n",
        {},
        "votes.csv (line 1): the CSV has no 'text' column (the columns found are 'idea', ",
    ),
    (
        "votes.csv",
        b"text,votes_for\nPublish the budget,3\nHold forums on weekends,-2\n",
        {},
        "votes.csv (line 3, column votes_for): '-2' is not a whole number",
    ),
    (
        "big.md",
        b"- " + b"x" * (5 * 1024 * 1024),
        {},
        "big.md: the file is 5.0 MB; the limit is 5 MB",
    ),
    (
        "notes.md",
        b"- Publish the budget.\n- " + b"a very long point " * 20 + b"\n",
        {},
        "notes.md (line 2): this point has 359 characters",
    ),
    (
        "notes.md",
        b"- Publish the district budget online.\n",
        {"held_on": "2099-01-01"},
        "The date 2099-01-01 is in the future",
    ),
    (
        "notes.md",
        b"- Publish the district budget online.\n",
        {"participant_count": "-4"},
        "The number of participants cannot be negative.",
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "options", "message"),
    BAD_INPUTS,
    ids=[
        "empty",
        "type",
        "encoding",
        "csv-no-text",
        "csv-count",
        "too-big",
        "too-long",
        "future",
        "people",
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_stored(
    app, make_phase, name, data, options, message
):
    phase = make_phase(2)
    before = count(Statement)
    kwargs = {"host_organisation": "Highlands Civic Forum", "held_on": "2026-03-14", **options}
    with pytest.raises(InvalidInput) as error:
        services.import_notes_file(phase, name, data, **kwargs)
    assert message in error.value.message
    assert count(Statement) == before
    assert count(CommunityConversation) == count(NoteUpload) == count(StatementSource) == 0


def test_conversation_rules(app, make_phase, staff):
    phase = make_phase(0)
    host = staff.create("host")
    fields = {
        "title": "Regional dialogue",
        "host_organisation": "Highlands Civic Forum",
        "held_on": "2026-03-14",
        "language": "en",
        "place": "Lakeview",
    }
    for change, field, text in [
        ({"held_on": "2099-12-31"}, "held_on", "is in the future"),
        ({"held_on": "14/03/2026"}, "held_on", "write it as YYYY-MM-DD"),
        ({"language": "English"}, "language", "is not a language code"),
        ({"place": ""}, "place", "Give the place, or tick “Held online”."),
        ({"title": "  "}, "title", "A title is required."),
        ({"participant_count": "many"}, "participant_count", "must be a whole number"),
    ]:
        with pytest.raises(InvalidInput) as error:
            services.create_conversation(phase, host, **{**fields, **change})
        assert error.value.field == field and text in error.value.message
    assert count(CommunityConversation) == 0
    online = services.create_conversation(
        phase, host, **{**fields, "place": "", "online": True, "groups": "youth, Youth , media"}
    )
    assert (online.where, online.groups) == ("Online", ["youth", "media"])


@pytest.mark.model
def test_preview_edits_then_one_transaction_import(app, make_phase, staff, embedder):
    phase = make_phase(0)
    seed = participation.add_seed_statement(
        phase, "Read out the main budget figures on community radio every quarter."
    )
    close = participation.add_seed_statement(
        phase, "Post the names of contractors and their deadlines on notice boards at the market."
    )
    host = staff.create("host")
    conversation = services.create_conversation(
        phase,
        host,
        title="Regional dialogue — Northern Highlands",
        host_organisation="Highlands Civic Forum",
        held_on="2026-03-14",
        language="en",
        place="Lakeview",
    )
    data = sample_bytes("regional-dialogue-north.md")
    upload, resumed = services.start_upload(
        conversation, "regional-dialogue-north.md", data, user=host
    )
    assert not resumed and count(Statement) == 2  # a preview stores no statement
    cands = {c["parts"][0]["location"]: c for c in upload.candidates}
    assert cands["line 16"]["exact"] == seed.id  # same words as an existing statement
    boards = cands["lines 17–18"]
    assert [s["id"] for s in boards["similar"]] == [close.id]  # near duplicate, by meaning
    assert 0.5 <= boards["similar"][0]["similarity"] < 1
    assert services.start_upload(conversation, "copy.md", data)[0].id == upload.id  # resumes

    sentences = [c["key"] for c in upload.candidates if c["parts"][0]["location"] == "line 27"]
    services.merge_candidates(upload, sentences[3:5])
    services.edit_candidate(
        upload,
        sentences[3],
        text="Invite women's groups to committee meetings on water points.",
        votes_for="30",
        votes_against="",
    )
    services.add_candidate(upload, "Translate the action plan into Kiswahili and Kikuyu.")
    services.link_candidate(upload, boards["key"], close.id)
    services.set_dropped(upload, cands["line 38"]["key"], True)
    with pytest.raises(InvalidInput, match="at most 280 characters"):
        services.edit_candidate(upload, cands["line 15"]["key"], text="x" * 300)

    # An error midway (a linked statement vanished) rolls everything back: nothing is stored.
    db.session.delete(db.session.get(Statement, close.id))
    db.session.commit()
    with pytest.raises(NotFound, match=r"Point 8 \(lines 17–18\): the statement it was linked to"):
        services.confirm_import(upload)
    db.session.expire_all()
    assert count(Statement) == 1 and count(StatementSource) == 0
    assert db.session.get(NoteUpload, upload.id).state == UploadState.DRAFT

    services.link_candidate(upload, boards["key"], None)
    result = services.confirm_import(upload, open_for_voting=False)
    assert [s.id for s, _ in result.linked] == [seed.id]
    merged = next(s for s, c in result.created if c["origin"] == "merged")
    merged_sources = services.sources_for_statements([merged.id])[merged.id]
    assert [s.location for s in merged_sources] == ["line 27", "line 27"]
    assert merged_sources[0].passage.startswith("Several women said")
    assert merged_sources[1].passage.startswith("The group agreed")
    assert (merged_sources[0].votes_for, merged_sources[1].votes_for) == (30, None)
    added = next(s for s, c in result.created if c["origin"] == "added")
    added_source = services.sources_for_statements([added.id])[added.id][0]
    assert (added_source.location, added_source.passage) == ("added in the preview", None)
    assert not any(s.text.startswith("Notes taken by") for s in imported(phase))
    assert all(not s.open_for_voting for s in imported(phase))
    with pytest.raises(ConsultError, match="already imported"):
        services.confirm_import(upload)
    with pytest.raises(services.AlreadyImported):
        services.start_upload(conversation, "regional-dialogue-north.md", data)


@pytest.mark.model
def test_twin_points_within_one_file_are_flagged_without_noise(app, make_phase, staff, embedder):
    phase = make_phase(0)
    conversation = services.create_conversation(
        phase,
        staff.create("host"),
        title="Dialogue régional — Sud",
        host_organisation="Réseau citoyen pour la transparence",
        held_on="2026-03-21",
        language="fr",
        place="Ziguinchor",
    )
    upload, _ = services.start_upload(
        conversation, "sud.txt", sample_bytes("dialogue-regional-sud.txt")
    )
    assert [c["twins"] for c in upload.candidates if c["twins"]] == []  # different points
    budget = next(c for c in upload.candidates if c["text"].startswith("Publier le budget"))
    added = services.add_candidate(
        upload,
        "Il faut publier une version simplifiée du budget communal, en français et en langues "
        "nationales.",
    )
    assert added["twins"] == [budget["key"]]
