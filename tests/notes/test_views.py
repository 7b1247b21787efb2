"""Host pages (own conversations only), uploads with their error messages, preview, public pages."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from consult.extensions import db
from consult.moderation.services import decide
from consult.notes import services
from consult.notes.models import CommunityConversation, NoteUpload, StatementSource
from consult.participation.models import Moderation, Origin, Statement
from tests.conftest import csrf_from
from tests.notes.samples import import_sample, sample_bytes

FIELDS = {
    "title": "Regional dialogue — Northern Highlands",
    "host_organisation": "Highlands Civic Forum",
    "held_on": "2026-03-14",
    "place": "Community hall, Lakeview",
    "region": "Northern Highlands",
    "language": "en",
    "participant_count": "46",
    "group": ["youth", "civil society"],
    "groups": "farmers",
    "consent_to_publish": "1",
}


def shown_date(app, iso: str) -> str:
    """A date as the pages show it (the app's ``date`` filter, whatever its locale)."""
    return app.jinja_env.filters["date"](date.fromisoformat(iso))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def record(client, phase, **changes):
    token = csrf_from(client.get("/notes/new").text)
    data = {"csrf_token": token, "phase_id": str(phase.id), **FIELDS, **changes}
    return client.post("/notes/new", data=data)


def upload(client, conversation_id, name, data, *, encoding=""):
    """POST a file as a browser does (the body is encoded in memory: no temporary file)."""
    token = csrf_from(client.get(f"/notes/{conversation_id}/").text)
    notes = FileStorage(io.BytesIO(data), filename=name, content_type="application/octet-stream")
    fields = {"csrf_token": token, "notes": notes, "encoding": encoding}
    boundary, body = encode_multipart(fields)
    return client.post(
        f"/notes/{conversation_id}/uploads",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_hosts_see_and_edit_only_their_own_conversations(client, staff, make_phase):
    phase = make_phase(0)
    assert client.get("/notes/").status_code == 302  # signed out: to the login page
    other = staff.create("host", "other-host@test.example")
    theirs = services.create_conversation(
        phase, other, **{k: v for k, v in FIELDS.items() if k not in ("group",)}
    )
    staff.login("host")
    response = record(client, phase, title="Youth group session, Coast region")
    assert response.status_code == 302
    mine = db.session.scalar(
        select(CommunityConversation).where(CommunityConversation.title.like("Youth group%"))
    )
    assert mine.groups == ["youth", "civil society", "farmers"] and mine.consent_to_publish
    listing = client.get("/notes/").text
    assert "Youth group session, Coast region" in listing
    assert "Regional dialogue — Northern Highlands" not in listing
    token = csrf_from(listing)
    base = f"/notes/{theirs.id}"
    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/edit").status_code == 404
    assert client.post(f"{base}/edit", data={"csrf_token": token, **FIELDS}).status_code == 404
    refused = client.post(
        f"{base}/uploads",
        data={"csrf_token": token, "notes": (io.BytesIO(b"- Publish the budget."), "n.md")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 404
    db.session.expire_all()
    assert db.session.get(CommunityConversation, theirs.id).title == FIELDS["title"]
    assert count(NoteUpload) == 0


def test_support_sees_every_conversation_and_steering_none(client, staff, make_phase):
    phase = make_phase(0)
    host = staff.create("host")
    conversation = services.create_conversation(
        phase, host, **{k: v for k, v in FIELDS.items() if k != "group"}
    )
    staff.login("support")
    assert FIELDS["title"] in client.get("/notes/").text
    assert client.get(f"/notes/{conversation.id}/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/notes/").text)})
    staff.login("steering")
    assert client.get("/notes/").status_code == 403


def test_form_errors_name_the_field_and_store_nothing(client, staff, make_phase):
    phase = make_phase(0)
    staff.login("host")
    response = record(client, phase, held_on="2099-05-01")
    assert response.status_code == 422
    assert "The date 2099-05-01 is in the future" in response.text
    assert re.search(r'id="held_on"[^>]*aria-invalid="true"', response.text)
    assert 'value="Regional dialogue — Northern Highlands"' in response.text  # kept as typed
    response = record(client, phase, place="", participant_count="-3")
    assert response.status_code == 422 and "Give the place" in response.text
    assert count(CommunityConversation) == 0


@pytest.fixture
def hosted(client, staff, make_phase):
    """A host signed in, with a conversation of their own in an open phase."""
    phase = make_phase(0)
    staff.login("host")
    response = record(client, phase)
    conversation_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    return phase, conversation_id


@pytest.mark.parametrize(
    ("name", "data", "encoding", "message"),
    [
        ("empty.md", b"", "", "empty.md: the file is empty."),
        ("minutes.pdf", b"%PDF-1.7 ...", "", "minutes.pdf: files of type .pdf cannot be read"),
        (
            "notes.txt",
            "Les élus doivent rendre compte.".encode("cp1252"),
            "utf-8",
            "notes.txt (line 1, column 5): byte 0xE9 cannot be read as UTF-8",
        ),
        (
            "v.csv",
            b"idea\nPublish the budget\n",
            "",
            "v.csv (line 1): the CSV has no 'text' column",
        ),
        ("big.txt", b"- " + b"x" * (5 * 1024 * 1024 + 10), "", "big.txt: the file is 5.0 MB"),
    ],
    ids=["empty", "type", "encoding", "csv", "size"],
)
def test_bad_uploads_say_what_is_wrong_and_import_nothing(
    client, hosted, name, data, encoding, message
):
    _, conversation_id = hosted
    response = upload(client, conversation_id, name, data, encoding=encoding)
    assert response.status_code == 422
    page = response.text
    assert message.replace("'", "&#39;") in page
    assert "Nothing was imported." in page and 'role="alert"' in page
    assert count(NoteUpload) == 0 and count(StatementSource) == 0


def test_upload_beyond_the_request_limit_gets_a_clear_page(client, hosted):
    _, conversation_id = hosted
    response = upload(client, conversation_id, "huge.txt", b"x" * (7 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than 5 MB, the limit for notes. Nothing was imported" in response.text
    assert count(NoteUpload) == 0


@pytest.mark.model
def test_preview_with_htmx_then_confirm(client, hosted, embedder):
    phase, conversation_id = hosted
    response = upload(
        client, conversation_id, "youth-session-votes.csv", sample_bytes("youth-session-votes.csv")
    )
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).text
    assert count(Statement) == 0  # the preview stores no statement
    assert "Source: youth-session-votes.csv, row 4" in page
    assert "&#34;Stop the &#34;&#34;youth forums&#34;&#34;" in page  # passage shown, escaped
    assert "In the room: 24 for, 1 against" in page
    token = csrf_from(page)
    htmx = {"HX-Request": "true", "X-CSRFToken": token}
    upload_row = db.session.scalar(select(NoteUpload))
    keys = [c["key"] for c in upload_row.candidates]

    edit_form = client.get(f"{preview_url}candidates/{keys[0]}/edit", headers=htmx)
    assert 'id="text-c1"' in edit_form.text and "autofocus" in edit_form.text
    bad = client.post(
        f"{preview_url}candidates/{keys[0]}", data={"text": "Too short"}, headers=htmx
    )
    assert bad.status_code == 422 and "at least 10 characters" in bad.text
    saved = client.post(
        f"{preview_url}candidates/{keys[0]}",
        data={
            "text": "Teach how the county budget works in every secondary school.",
            "votes_for": "22",
        },
        headers=htmx,
    )
    assert saved.status_code == 200
    assert saved.text.lstrip().startswith('<li id="cand-c1"')
    assert 'id="preview-summary"' in saved.text and 'hx-swap-oob="true"' in saved.text
    assert "In the room: 22 for, ? against" in saved.text

    dropped = client.post(
        f"{preview_url}candidates/{keys[1]}/drop", data={"dropped": "1"}, headers=htmx
    )
    assert "Restore point 2" in dropped.text and "5</strong> of 6 points" in dropped.text
    merged = client.post(f"{preview_url}merge", data={"keys": [keys[3], keys[5]]}, headers=htmx)
    assert merged.status_code == 200 and "2 points merged into point 4." in merged.text
    lonely = client.post(f"{preview_url}merge", data={"keys": [keys[2]]}, headers=htmx)
    assert lonely.status_code == 422 and lonely.headers["HX-Retarget"] == "#preview-alert"
    added = client.post(
        f"{preview_url}candidates",
        data={"text": "Youth officers should visit every ward at least once a term."},
        headers=htmx,
    )
    assert "Added by you" in added.text and "Point 6 added." in added.text

    done = client.post(f"{preview_url}confirm", data={"csrf_token": token, "open_for_voting": "1"})
    assert done.status_code == 302
    conversation_page = client.get(done.headers["Location"]).text
    assert "5 new statements (waiting for moderation), 1 dropped" in conversation_page
    statements = list(db.session.scalars(select(Statement).order_by(Statement.id)))
    assert [s.origin for s in statements] == [Origin.IMPORTED] * 5
    assert statements[0].text == "Teach how the county budget works in every secondary school."
    assert "Source: youth-session-votes.csv, row 5" in conversation_page
    assert "row 7" not in conversation_page  # the empty row was never a point

    again = upload(
        client, conversation_id, "youth-session-votes.csv", sample_bytes("youth-session-votes.csv")
    )
    follow = client.get(again.headers["Location"]).text
    assert (
        "already imported for this conversation" in follow and "nothing new was imported" in follow
    )
    assert count(Statement) == 5

    # The moderation queue shows where each imported statement came from.
    client.post("/logout", data={"csrf_token": token})
    from tests.conftest import Staff

    Staff(client).login("support")
    queue = client.get(f"/moderation/?phase={phase.id}").text
    assert "From “Regional dialogue — Northern Highlands” (Highlands Civic Forum, " in queue
    assert f"{shown_date(client.application, '2026-03-14')}), row 4</summary>" in queue


def test_public_pages_list_conversations_and_publish_consented_notes_escaped(
    client, make_phase, tmp_path
):
    phase = make_phase(0)
    notes = b"- Publish the district budget <script>alert(1)</script> on the notice board.\n"
    consented = services.import_notes_file(
        phase,
        "north.md",
        notes,
        host_organisation="Highlands Civic Forum",
        held_on="2026-03-14",
        title="Regional dialogue — North",
        region="Northern Highlands",
        participant_count=46,
        groups="youth, civil society",
        consent_to_publish=True,
    )
    private = import_sample(phase, "youth-session-votes.csv", title="Youth session (closed)")
    decide(
        [s.id for s, _ in consented.created + private.created[:1]],
        Moderation.ACCEPTED,
        _support(),
    )
    slug = phase.consultation.slug
    listing = client.get(f"/c/{slug}/phase/1/conversations/")
    assert listing.status_code == 200
    text = listing.text
    when = shown_date(client.application, "2026-03-14")
    for fact in ("Regional dialogue — North", "Highlands Civic Forum", when, "46", "youth"):
        assert fact in text
    assert "2 conversations, 70 participants in all." in text
    assert "Read the raw notes" in text and "Not published" in text
    page = client.get(f"/c/{slug}/phase/1/conversations/{consented.upload.conversation_id}").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "From the notes, line 1" in page
    raw = client.get(
        f"/c/{slug}/phase/1/conversations/{consented.upload.conversation_id}"
        f"/notes/{consented.upload.id}.txt"
    )
    assert raw.mimetype == "text/plain" and raw.data == notes
    assert "sandbox" in raw.headers["Content-Security-Policy"]
    closed = private.upload.conversation_id
    closed_page = client.get(f"/c/{slug}/phase/1/conversations/{closed}").text
    assert "did not agree to publish the raw notes" in closed_page
    assert "Teach how the county budget works" in closed_page  # accepted statements are public
    assert "Internships in county departments" not in closed_page  # pending ones are not
    assert (
        client.get(
            f"/c/{slug}/phase/1/conversations/{closed}/notes/{private.upload.id}.txt"
        ).status_code
        == 404
    )


def test_public_pages_of_a_draft_phase_are_hidden(client, make_phase):
    phase = make_phase(0, state="draft")
    assert client.get(f"/c/{phase.consultation.slug}/phase/1/conversations/").status_code == 404


def _support():
    from consult.accounts.services import create_user

    return create_user("support-views@test.example", "correct horse battery", "support", "S")
