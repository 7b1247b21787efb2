"""Community conversations: recording them, importing notes (preview, then confirm) and provenance.

The import of a notes file is a draft until the host confirms it: the parsed candidates live in
``NoteUpload.candidates`` while the host edits, merges, drops or adds points; confirming writes
every statement and its sources in one transaction. Imports are idempotent: a file already
imported (same SHA-256) is refused with a message saying nothing new was imported, and a point
already imported from the same conversation (same normalised text) is skipped.

Other packages call :func:`offline_support` and :func:`conversations_for_phase`.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import format_date, format_decimal, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from clustering.duplicates import near_duplicate_pairs, similar_statements
from clustering.embeddings import EmbeddingModelError
from consult.accounts.models import Role, User
from consult.consultations.models import Consultation, Phase, PhaseState
from consult.database import utcnow, write_transaction
from consult.errors import Conflict, InvalidInput, NotFound
from consult.extensions import db
from consult.notes.models import CommunityConversation, NoteUpload, StatementSource, UploadState
from consult.notes.parsing import (
    MAX_BYTES,
    TEXT_MAX,
    TEXT_MIN,
    NotesError,
    candidate_key,
    clean_text,
    normalized,
    parse_notes,
)
from consult.notes.wording import location_text, remark_text
from consult.participation.models import Moderation, Origin, Statement
from consult.themes.embeddings import embed_texts


def N_(message: str) -> str:
    """Mark a string for the catalogue; it is stored in English and translated when shown."""
    return message


#: Group tags the conversation form offers; stored as written here, shown translated.
GROUP_SUGGESTIONS = (
    N_("youth"),
    N_("women's organisations"),
    N_("government"),
    N_("local government"),
    N_("civil society"),
    N_("academia"),
    N_("private sector"),
    N_("media"),
    N_("human-rights defenders"),
    N_("persons with disabilities"),
)
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
MAX_GROUPS = 20
MAX_UPLOAD_BYTES = MAX_BYTES
MAX_PARTICIPANTS = 1_000_000
SIMILAR_HINTS = 3
# Points of one file that may say the same thing. Stricter than the hint against existing
# statements (0.5): with the default English model, unrelated French points of one file reach
# 0.69 (tests/data/notes/dialogue-regional-sud.txt), while a repeated point scores above 0.8.
TWIN_THRESHOLD = 0.75


class AlreadyImported(Conflict):
    """The same file was imported before: nothing new to import (not a failure)."""


# --- who may see what ----------------------------------------------------------------------------


def sees_all(user: User) -> bool:
    """Support Unit and admins see every conversation; hosts see their own."""
    return user.has_role(Role.SUPPORT)


def conversations_for(user: User, phase_id: int | None = None) -> list[CommunityConversation]:
    query = (
        select(CommunityConversation)
        .options(
            selectinload(CommunityConversation.phase).selectinload(Phase.consultation),
            selectinload(CommunityConversation.uploads),
        )
        .order_by(CommunityConversation.held_on.desc(), CommunityConversation.id.desc())
    )
    if not sees_all(user):
        query = query.where(CommunityConversation.host_user_id == user.id)
    if phase_id is not None:
        query = query.where(CommunityConversation.phase_id == phase_id)
    return list(db.session.scalars(query))


def get_conversation(user: User, conversation_id: int) -> CommunityConversation:
    """The conversation if ``user`` may manage it; NotFound otherwise (existence is not leaked)."""
    conversation = db.session.get(CommunityConversation, conversation_id)
    if conversation is None or not (sees_all(user) or conversation.host_user_id == user.id):
        raise NotFound(_("no community conversation %(id)d of yours", id=conversation_id))
    return conversation


def get_upload(user: User, conversation_id: int, upload_id: int) -> NoteUpload:
    conversation = get_conversation(user, conversation_id)
    upload = db.session.get(NoteUpload, upload_id)
    if upload is None or upload.conversation_id != conversation.id:
        raise NotFound(_("no upload %(id)d in this conversation", id=upload_id))
    return upload


def phases_open_to_notes() -> list[Phase]:
    """Phases that take community notes: every phase whose response is not yet published."""
    return list(
        db.session.scalars(
            select(Phase)
            .join(Consultation)
            .options(selectinload(Phase.consultation))
            .where(Phase.state != PhaseState.PUBLISHED)
            .order_by(Consultation.title, Phase.position)
        )
    )


# --- recording a conversation --------------------------------------------------------------------


def today() -> date:
    return datetime.now(UTC).date()


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(_("Give the date the conversation took place."), field="held_on")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            _(
                "%(value)s is not a date: write it as YYYY-MM-DD (e.g. 2026-03-14).",
                value=repr(text),
            ),
            field="held_on",
        ) from None


def parse_groups(value: object) -> list[str]:
    """Free group tags from a list or a comma-separated string, trimmed and without repeats."""
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    tags: list[str] = []
    for item in items:
        tag = " ".join(str(item).split())
        if tag and tag.casefold() not in {t.casefold() for t in tags}:
            if len(tag) > 60:
                message = _("The group tag %(tag)s… is too long.", tag=repr(tag[:20]))
                raise InvalidInput(message, field="groups")
            tags.append(tag)
    if len(tags) > MAX_GROUPS:
        raise InvalidInput(_("At most %(n)d group tags.", n=MAX_GROUPS), field="groups")
    return tags


def _count_messages(field_name: str) -> tuple[str, str, str]:
    """(not a whole number, negative, too large) for a count field, each with placeholders."""
    if field_name == "votes_for":
        return (
            _("Votes for must be a whole number, not %(value)s."),
            _("Votes for cannot be negative."),
            _("Votes for is larger than %(max)s."),
        )
    if field_name == "votes_against":
        return (
            _("Votes against must be a whole number, not %(value)s."),
            _("Votes against cannot be negative."),
            _("Votes against is larger than %(max)s."),
        )
    return (
        _("The number of participants must be a whole number, not %(value)s."),
        _("The number of participants cannot be negative."),
        _("The number of participants is larger than %(max)s."),
    )


def _count(value: object, field_name: str, label: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    not_whole, negative, too_large = _count_messages(field_name)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidInput(not_whole % {"value": repr(value)}, field=field_name) from None
    if number < 0:
        raise InvalidInput(negative, field=field_name)
    if number > MAX_PARTICIPANTS:
        limit = format_decimal(MAX_PARTICIPANTS)
        raise InvalidInput(too_large % {"max": limit}, field=field_name)
    return number


def validate_conversation(
    *,
    title: object,
    host_organisation: object,
    held_on: object,
    language: object,
    online: bool = False,
    place: object = None,
    region: object = None,
    participant_count: object = None,
    groups: object = None,
    consent_to_publish: bool = False,
    require_place: bool = True,
) -> dict[str, Any]:
    """Clean and check the fields of a conversation; raises InvalidInput naming the field."""
    clean: dict[str, Any] = {}
    for name, value, limit, required, too_long in (
        (
            "title",
            title,
            200,
            _("A title is required."),
            _("A title can have at most %(limit)d characters."),
        ),
        (
            "host_organisation",
            host_organisation,
            200,
            _("The host organisation is required."),
            _("The host organisation can have at most %(limit)d characters."),
        ),
    ):
        text = " ".join(str(value or "").split())
        if not text:
            raise InvalidInput(required, field=name)
        if len(text) > limit:
            raise InvalidInput(too_long % {"limit": limit}, field=name)
        clean[name] = text
    held = parse_date(held_on)
    if held > today():
        raise InvalidInput(
            _(
                "The date %(date)s is in the future: give the day the conversation took place "
                "(notes are recorded after it).",
                date=held.isoformat(),
            ),
            field="held_on",
        )
    clean["held_on"] = held
    code = str(language or "").strip()
    if not LANGUAGE_RE.match(code):
        raise InvalidInput(
            _(
                "%(code)s is not a language code: use two or three letters such as en, fr or es.",
                code=repr(code),
            ),
            field="language",
        )
    clean["language"] = code
    clean["online"] = bool(online)
    clean["place"] = " ".join(str(place or "").split())[:200] or None
    if require_place and not clean["online"] and not clean["place"]:
        raise InvalidInput(_("Give the place, or tick “Held online”."), field="place")
    clean["region"] = " ".join(str(region or "").split())[:120] or None
    clean["participant_count"] = _count(
        participant_count, "participant_count", "The number of participants"
    )
    clean["groups"] = parse_groups(groups)
    clean["consent_to_publish"] = bool(consent_to_publish)
    return clean


def _check_phase(phase: Phase) -> None:
    if phase.state == PhaseState.PUBLISHED:
        raise Conflict(
            _(
                "Phase %(n)d is published (its reasoned response is out): it takes no more "
                "community notes.",
                n=phase.position,
            )
        )


def create_conversation(
    phase: Phase, host_user: User | None, **fields: Any
) -> CommunityConversation:
    _check_phase(phase)
    clean = validate_conversation(**fields)
    with write_transaction(db.session) as session:
        conversation = CommunityConversation(
            phase_id=phase.id, host_user_id=host_user.id if host_user else None, **clean
        )
        session.add(conversation)
    return conversation


def update_conversation(
    conversation: CommunityConversation, **fields: Any
) -> CommunityConversation:
    clean = validate_conversation(**fields)
    with write_transaction(db.session):
        for name, value in clean.items():
            setattr(conversation, name, value)
    return conversation


# --- preview -------------------------------------------------------------------------------------


def _candidate_dict(candidate: dict[str, Any]) -> dict[str, Any]:
    """A parsed candidate as stored in the draft: its source becomes the first of its parts."""
    part = {
        "location": candidate["location"],
        "number": candidate["number"],
        "passage": candidate["passage"],
        "start": candidate["start"],
        "end": candidate["end"],
        "section": candidate["section"],
    }
    return {
        "key": candidate["key"],
        "text": candidate["text"],
        "parts": [part],
        "speaker_group": candidate["speaker_group"],
        "votes_for": candidate["votes_for"],
        "votes_against": candidate["votes_against"],
        "dropped": candidate["dropped"],
        "note": candidate["note"],
        "origin": "file",
        "link_to": None,
    }


def problem(candidate: dict[str, Any]) -> str | None:
    """Why a kept candidate cannot be imported as it is (length rule), or None."""
    if candidate.get("dropped"):
        return None
    n = len(candidate["text"])
    if n < TEXT_MIN:
        return f"Too short for a statement ({n} characters; at least {TEXT_MIN}): edit or drop it."
    if n > TEXT_MAX:
        return f"Too long for a statement ({n} characters; at most {TEXT_MAX}): edit or split it."
    return None


def _phase_statements(phase_id: int) -> list[Statement]:
    return list(
        db.session.scalars(
            select(Statement).where(Statement.phase_id == phase_id).order_by(Statement.id)
        )
    )


def _sourced_ids(conversation_id: int) -> set[int]:
    """Statements already imported from (or linked to) this conversation."""
    return set(
        db.session.scalars(
            select(StatementSource.statement_id).where(
                StatementSource.conversation_id == conversation_id
            )
        )
    )


def annotate(conversation: CommunityConversation, candidates: list[dict[str, Any]]) -> str | None:
    """Mark exact and near duplicates of existing statements, and near-twins within the file.

    Near duplicates come from cached sentence embeddings (``consult.themes.embeddings``) and
    ``clustering.duplicates`` at its default threshold. Returns a message when the embedding
    model is unavailable (the preview then shows exact duplicates only).
    """
    statements = [s for s in _phase_statements(conversation.phase_id)]
    by_text = {normalized(s.text): s for s in statements}
    sourced = _sourced_ids(conversation.id)
    for c in candidates:
        match = by_text.get(normalized(c["text"]))
        c["exact"] = match.id if match is not None else None
        c["already"] = bool(match is not None and match.id in sourced)
        c["similar"] = []
        c["twins"] = []
        c["problem"] = problem(c)
    kept = [c for c in candidates if not c["dropped"] and c["text"]]
    if not kept:
        return None
    others = [s for s in statements if s.moderation != Moderation.REJECTED]
    try:
        vectors = embed_texts([c["text"] for c in kept] + [s.text for s in others])
    except (EmbeddingModelError, OSError) as exc:  # the preview still works without hints
        return f"Near-duplicate check unavailable ({exc}); only exact repeats are shown."
    mine, theirs = vectors[: len(kept)], vectors[len(kept) :]
    ids = [s.id for s in others]
    texts = {s.id: s for s in others}
    for c, vector in zip(kept, mine, strict=True):
        hits = similar_statements(vector, theirs, ids, k=SIMILAR_HINTS + 1) if ids else ()
        c["similar"] = [
            {
                "id": hit.statement_id,
                "text": texts[hit.statement_id].text,
                "similarity": hit.similarity,
                "origin": texts[hit.statement_id].origin.value,
            }
            for hit in hits
            if hit.statement_id != c["exact"]
        ][:SIMILAR_HINTS]
    for pair in near_duplicate_pairs(mine, [c["key"] for c in kept], threshold=TWIN_THRESHOLD):
        first = next(c for c in kept if c["key"] == pair.first_id)
        second = next(c for c in kept if c["key"] == pair.second_id)
        first["twins"].append(second["key"])
        second["twins"].append(first["key"])
    return None


def start_upload(
    conversation: CommunityConversation,
    filename: str,
    data: bytes,
    *,
    user: User | None = None,
    declared_encoding: str | None = None,
) -> tuple[NoteUpload, bool]:
    """Parse a notes file into a draft for the preview; returns (upload, resumed).

    The same file again resumes its unconfirmed draft; an imported one raises AlreadyImported.
    """
    _check_phase(conversation.phase)
    parsed = parse_notes(filename, data, declared_encoding=declared_encoding)
    _refuse_repeat(conversation, parsed.sha256, parsed.filename)
    draft = db.session.scalar(
        select(NoteUpload).where(
            NoteUpload.conversation_id == conversation.id, NoteUpload.sha256 == parsed.sha256
        )
    )
    if draft is not None:
        return draft, True
    candidates = [_candidate_dict(c.to_dict()) for c in parsed.candidates]
    hint = annotate(conversation, candidates)
    upload = NoteUpload(
        conversation_id=conversation.id,
        filename=parsed.filename,
        file_type=parsed.file_type,
        size=parsed.size,
        sha256=parsed.sha256,
        encoding=parsed.encoding,
        encoding_note=parsed.encoding_note,
        raw_text=parsed.raw_text,
        state=UploadState.DRAFT,
        candidates=candidates,
        skipped=parsed.skipped + ([hint] if hint else []),
        uploaded_by_id=user.id if user else None,
    )
    try:
        with write_transaction(db.session) as session:
            session.add(upload)
    except IntegrityError:  # the same file uploaded twice at the same moment
        message = _("%(file)s is being uploaded already; reload the page.", file=parsed.filename)
        raise Conflict(message) from None
    return upload, False


def _refuse_repeat(conversation: CommunityConversation, sha256: str, filename: str) -> None:
    """AlreadyImported when this exact file was imported in this phase."""
    earlier = db.session.execute(
        select(NoteUpload, CommunityConversation)
        .join(CommunityConversation)
        .where(
            NoteUpload.sha256 == sha256,
            NoteUpload.state == UploadState.IMPORTED,
            CommunityConversation.phase_id == conversation.phase_id,
        )
        .limit(1)
    ).first()
    if earlier is None:
        return
    upload, owner = earlier
    when = format_date(upload.imported_at, "long") if upload.imported_at else None
    if owner.id == conversation.id:
        message = _(
            "%(file)s was already imported for this conversation on %(date)s (as %(name)s): "
            "nothing new was imported.",
            file=filename,
            date=when or _("an earlier day"),
            name=upload.filename,
        )
    else:
        message = _(
            "%(file)s was already imported for “%(title)s” on %(date)s (as %(name)s): nothing new "
            "was imported.",
            file=filename,
            title=owner.title,
            date=when or _("an earlier day"),
            name=upload.filename,
        )
    raise AlreadyImported(message, detail={"upload_id": upload.id, "conversation_id": owner.id})


def _editable(upload: NoteUpload) -> list[dict[str, Any]]:
    if upload.state != UploadState.DRAFT:
        raise Conflict(
            _("%(file)s was already imported: the preview is closed.", file=upload.filename)
        )
    return copy.deepcopy(upload.candidates)


def _find(candidates: list[dict[str, Any]], key: str) -> dict[str, Any]:
    for c in candidates:
        if c["key"] == key:
            return c
    raise NotFound(_("no point %(key)s in this preview", key=repr(key)))


def _save(upload: NoteUpload, candidates: list[dict[str, Any]]) -> NoteUpload:
    hint = annotate(upload.conversation, candidates)
    with write_transaction(db.session):
        upload.candidates = candidates
        if hint and hint not in upload.skipped:
            upload.skipped = [*upload.skipped, hint]
    return upload


def _clean_text(text: object) -> str:
    value = clean_text(str(text or ""))
    if len(value) < TEXT_MIN:
        raise InvalidInput(
            _(
                "A statement needs at least %(min)d characters (this one has %(n)d).",
                min=TEXT_MIN,
                n=len(value),
            ),
            field="text",
        )
    if len(value) > TEXT_MAX:
        raise InvalidInput(
            _(
                "A statement can have at most %(max)d characters (this one has %(n)d).",
                max=TEXT_MAX,
                n=len(value),
            ),
            field="text",
        )
    return value


def edit_candidate(
    upload: NoteUpload,
    key: str,
    *,
    text: object,
    speaker_group: object = None,
    votes_for: object = None,
    votes_against: object = None,
) -> dict[str, Any]:
    candidates = _editable(upload)
    candidate = _find(candidates, key)
    candidate["text"] = _clean_text(text)
    candidate["speaker_group"] = " ".join(str(speaker_group or "").split())[:120] or None
    candidate["votes_for"] = _count(votes_for, "votes_for", "Votes for")
    candidate["votes_against"] = _count(votes_against, "votes_against", "Votes against")
    candidate["dropped"] = False
    candidate["link_to"] = None if candidate.get("exact") else candidate.get("link_to")
    _save(upload, candidates)
    return _find(upload.candidates, key)


def set_dropped(upload: NoteUpload, key: str, dropped: bool) -> dict[str, Any]:
    candidates = _editable(upload)
    _find(candidates, key)["dropped"] = bool(dropped)
    _save(upload, candidates)
    return _find(upload.candidates, key)


def link_candidate(upload: NoteUpload, key: str, statement_id: int | None) -> dict[str, Any]:
    """Count a point as raising an existing statement of the phase (or undo that)."""
    candidates = _editable(upload)
    candidate = _find(candidates, key)
    if statement_id is not None:
        statement = db.session.get(Statement, statement_id)
        if statement is None or statement.phase_id != upload.conversation.phase_id:
            raise NotFound(_("statement %(id)d is not part of this phase", id=statement_id))
        candidate["dropped"] = False
    candidate["link_to"] = statement_id
    _save(upload, candidates)
    return _find(upload.candidates, key)


def merge_candidates(upload: NoteUpload, keys: Sequence[str]) -> dict[str, Any]:
    """Merge points into the first of them (file order): texts joined, every source kept."""
    candidates = _editable(upload)
    wanted = set(keys)
    chosen = [c for c in candidates if c["key"] in wanted]
    if len(chosen) < 2 or len(chosen) != len(wanted):
        raise InvalidInput(_("Select at least two points to merge."), field="keys")
    first, rest = chosen[0], chosen[1:]
    first["text"] = " ".join(c["text"] for c in chosen)
    first["parts"] = [part for c in chosen for part in c["parts"]]
    groups = [c["speaker_group"] for c in chosen if c.get("speaker_group")]
    first["speaker_group"] = ", ".join(dict.fromkeys(groups))[:120] or None
    for name in ("votes_for", "votes_against"):
        # The same people may have backed several of the merged points: keep the largest count.
        counts = [c[name] for c in chosen if c.get(name) is not None]
        first[name] = max(counts) if counts else None
    first["dropped"] = False
    first["note"] = None
    first["origin"] = "merged"
    first["link_to"] = None
    candidates = [c for c in candidates if c not in rest]
    _save(upload, candidates)
    return _find(upload.candidates, first["key"])


def add_candidate(upload: NoteUpload, text: object) -> dict[str, Any]:
    """A point the notes missed, added by the host; its source is the preview itself."""
    candidates = _editable(upload)
    clean = _clean_text(text)
    number = 1 + sum(1 for c in candidates if c["origin"] == "added")
    key = f"a{number}"
    while any(c["key"] == key for c in candidates):
        number += 1
        key = f"a{number}"
    candidates.append(
        {
            "key": key,
            "text": clean,
            "parts": [
                {
                    "location": "added in the preview",
                    "number": None,
                    "passage": None,
                    "start": None,
                    "end": None,
                    "section": None,
                }
            ],
            "speaker_group": None,
            "votes_for": None,
            "votes_against": None,
            "dropped": False,
            "note": None,
            "origin": "added",
            "link_to": None,
        }
    )
    _save(upload, candidates)
    return _find(upload.candidates, key)


def discard_upload(upload: NoteUpload) -> None:
    _editable(upload)
    with write_transaction(db.session) as session:
        session.delete(upload)


# --- import --------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did; ``created`` and ``linked`` hold (statement, candidate) pairs."""

    upload: NoteUpload
    created: list[tuple[Statement, dict[str, Any]]] = field(default_factory=list)
    linked: list[tuple[Statement, dict[str, Any]]] = field(default_factory=list)
    already: int = 0  # points imported from this conversation before: skipped
    dropped: int = 0

    @property
    def nothing_new(self) -> bool:
        return not self.created and not self.linked

    def summary(self) -> str:
        name = self.upload.filename
        if self.nothing_new:
            if self.already:
                return ngettext(
                    "Nothing new in %(file)s: its %(num)d point were already imported from this "
                    "conversation.",
                    "Nothing new in %(file)s: its %(num)d points were already imported from this "
                    "conversation.",
                    self.already,
                    file=name,
                )
            return _("Nothing was imported from %(file)s: every point was dropped.", file=name)
        created = len(self.created)
        parts = [
            ngettext(
                "%(num)d new statement (waiting for moderation)",
                "%(num)d new statements (waiting for moderation)",
                created,
            )
        ]
        if self.linked:
            parts.append(
                ngettext(
                    "%(num)d point added to existing statements",
                    "%(num)d points added to existing statements",
                    len(self.linked),
                )
            )
        if self.already:
            parts.append(
                ngettext(
                    "%(num)d point already imported before",
                    "%(num)d points already imported before",
                    self.already,
                )
            )
        if self.dropped:
            parts.append(ngettext("%(num)d dropped", "%(num)d dropped", self.dropped))
        return _("Imported from %(file)s: %(parts)s.", file=name, parts=", ".join(parts))


def _import_candidates(
    session: Session,
    conversation: CommunityConversation,
    upload: NoteUpload,
    candidates: list[dict[str, Any]],
    *,
    open_for_voting: bool,
) -> ImportResult:
    """Write statements and sources for the kept candidates (inside the caller's transaction)."""
    result = ImportResult(upload=upload)
    statements = list(
        session.scalars(select(Statement).where(Statement.phase_id == conversation.phase_id))
    )
    by_text = {normalized(s.text): s for s in statements}
    existing = {s.id: s for s in statements}
    sourced_before = set(
        session.scalars(
            select(StatementSource.statement_id).where(
                StatementSource.conversation_id == conversation.id
            )
        )
    )
    touched: set[int] = set()
    for number, candidate in enumerate(candidates, start=1):
        if candidate.get("dropped"):
            result.dropped += 1
            continue
        where = candidate["parts"][0]["location"]
        try:
            text = _clean_text(candidate["text"])
        except InvalidInput as exc:
            message = _(
                "Point %(number)d (%(where)s): %(message)s",
                number=number,
                where=location_text(where),
                message=exc.message,
            )
            raise InvalidInput(message, field="text") from None
        statement: Statement | None
        if candidate.get("link_to"):
            # Only a statement that existed before this import (ids can be reused once deleted).
            statement = existing.get(int(candidate["link_to"]))
            if statement is None:
                raise NotFound(
                    _(
                        "Point %(number)d (%(where)s): the statement it was linked to is gone.",
                        number=number,
                        where=location_text(where),
                    )
                )
        else:
            statement = by_text.get(normalized(text))
        if statement is not None and statement.id in sourced_before:
            result.already += 1
            continue
        if statement is None:
            statement = Statement(
                phase_id=conversation.phase_id,
                text=text,
                language=conversation.language,
                origin=Origin.IMPORTED,
                moderation=Moderation.PENDING,
                open_for_voting=open_for_voting,
                external_id=candidate_key(text),
            )
            session.add(statement)
            session.flush()
            by_text[normalized(text)] = statement
            result.created.append((statement, candidate))
        elif statement.id not in touched:
            result.linked.append((statement, candidate))
        touched.add(statement.id)
        for index, part in enumerate(candidate["parts"]):
            session.add(
                StatementSource(
                    statement_id=statement.id,
                    conversation_id=conversation.id,
                    upload_id=upload.id,
                    location=part["location"][:120],
                    line_number=part["number"],
                    passage=part["passage"],
                    section=part.get("section"),
                    speaker_group=candidate.get("speaker_group") if index == 0 else None,
                    votes_for=candidate.get("votes_for") if index == 0 else None,
                    votes_against=candidate.get("votes_against") if index == 0 else None,
                )
            )
        session.flush()
    return result


def confirm_import(upload: NoteUpload, *, open_for_voting: bool = True) -> ImportResult:
    """Import the draft's kept points, all or nothing, and close the preview."""
    upload_id = upload.id
    with write_transaction(db.session) as session:
        upload = session.get(NoteUpload, upload_id, populate_existing=True, with_for_update=True)
        if upload is None or upload.state != UploadState.DRAFT:
            raise Conflict(_("These notes were already imported: nothing new was imported."))
        conversation = upload.conversation
        _check_phase(conversation.phase)
        _refuse_repeat(conversation, upload.sha256, upload.filename)
        for number, candidate in enumerate(upload.candidates, start=1):
            if (message := problem(candidate)) is not None:
                where = candidate["parts"][0]["location"]
                message = _(
                    "Point %(number)d (%(where)s): %(message)s",
                    number=number,
                    where=location_text(where),
                    message=remark_text(message),
                )
                raise InvalidInput(message, field="text")
        result = _import_candidates(
            session, conversation, upload, upload.candidates, open_for_voting=open_for_voting
        )
        upload.state = UploadState.IMPORTED
        upload.imported_at = utcnow()
        upload.open_for_voting = open_for_voting
        upload.created_count = len(result.created)
        upload.linked_count = len(result.linked)
    return result


def import_notes_file(
    phase: Phase,
    filename: str,
    data: bytes,
    *,
    host_organisation: str,
    held_on: object,
    title: str | None = None,
    region: str | None = None,
    participant_count: object = None,
    language: str | None = None,
    place: str | None = None,
    online: bool = False,
    groups: object = None,
    consent_to_publish: bool = False,
    open_for_voting: bool = True,
    declared_encoding: str | None = None,
    host_user: User | None = None,
) -> ImportResult:
    """The command-line import: no preview; the conversation is found or created, all in one go.

    A conversation is reused when the phase already has one by the same host organisation on the
    same date (and title, when given). Candidates the parser set aside are skipped; a point that
    breaks the length rule stops the import, naming its line.
    """
    _check_phase(phase)
    clean = validate_conversation(
        title=title or f"Community conversation hosted by {host_organisation}",
        host_organisation=host_organisation,
        held_on=held_on,
        language=language or phase.consultation.default_language,
        online=online,
        place=place,
        region=region,
        participant_count=participant_count,
        groups=groups,
        consent_to_publish=consent_to_publish,
        require_place=False,
    )
    parsed = parse_notes(filename, data, declared_encoding=declared_encoding)
    for candidate in parsed.kept:
        if len(candidate.text) > TEXT_MAX:
            raise NotesError(
                f"this point has {len(candidate.text)} characters (a statement has at most "
                f"{TEXT_MAX}); shorten or split it in the file: {candidate.text[:60]}…",
                filename=parsed.filename,
                line=candidate.number if candidate.location.startswith(("line", "row")) else None,
                column=None,
            )
    candidates = [_candidate_dict(c.to_dict()) for c in parsed.candidates]
    with write_transaction(db.session) as session:
        query = select(CommunityConversation).where(
            CommunityConversation.phase_id == phase.id,
            func.lower(CommunityConversation.host_organisation)
            == clean["host_organisation"].lower(),
            CommunityConversation.held_on == clean["held_on"],
        )
        if title:
            query = query.where(CommunityConversation.title == clean["title"])
        conversation = session.scalars(query.order_by(CommunityConversation.id)).first()
        if conversation is None:
            conversation = CommunityConversation(
                phase_id=phase.id, host_user_id=host_user.id if host_user else None, **clean
            )
            session.add(conversation)
            session.flush()
        _refuse_repeat(conversation, parsed.sha256, parsed.filename)
        upload = NoteUpload(
            conversation_id=conversation.id,
            filename=parsed.filename,
            file_type=parsed.file_type,
            size=parsed.size,
            sha256=parsed.sha256,
            encoding=parsed.encoding,
            encoding_note=parsed.encoding_note,
            raw_text=parsed.raw_text,
            state=UploadState.IMPORTED,
            candidates=candidates,
            skipped=parsed.skipped,
            imported_at=utcnow(),
            open_for_voting=open_for_voting,
        )
        session.add(upload)
        session.flush()
        result = _import_candidates(
            session, conversation, upload, candidates, open_for_voting=open_for_voting
        )
        upload.created_count = len(result.created)
        upload.linked_count = len(result.linked)
    return result


# --- provenance and figures for other packages ---------------------------------------------------


def sources_for_statements(
    statement_ids: Iterable[int],
) -> dict[int, list[StatementSource]]:
    """Every offline source of each statement (with its conversation loaded), oldest first."""
    ids = sorted({int(i) for i in statement_ids})
    found: dict[int, list[StatementSource]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        rows = db.session.scalars(
            select(StatementSource)
            .options(selectinload(StatementSource.conversation))
            .where(StatementSource.statement_id.in_(ids[start : start + 500]))
            .order_by(StatementSource.id)
        )
        for source in rows:
            found[source.statement_id].append(source)
    return dict(found)


def offline_support(statement_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Offline support of each statement: the conversations that raised it and the room counts.

    Returns ``{statement_id: {"conversations": [...], "votes_for": n | None,
    "votes_against": n | None}}`` for every id asked for. Each conversation is a dict with
    ``id``, ``title``, ``host_organisation``, ``held_on`` (ISO date), ``region``,
    ``participant_count``, ``groups``, ``votes_for``, ``votes_against``, ``speaker_groups`` and
    ``locations``. The totals add the counts given in the notes (None when no count was given):
    they are people in a room, never online votes, and never enter the vote matrix.
    """
    ids = sorted({int(i) for i in statement_ids})
    sources = sources_for_statements(ids)
    out: dict[int, dict[str, Any]] = {}
    for statement_id in ids:
        per_conversation: dict[int, dict[str, Any]] = {}
        totals: dict[str, int | None] = {"votes_for": None, "votes_against": None}
        for source in sources.get(statement_id, []):
            conversation = source.conversation
            entry = per_conversation.setdefault(
                conversation.id,
                {
                    "id": conversation.id,
                    "title": conversation.title,
                    "host_organisation": conversation.host_organisation,
                    "held_on": conversation.held_on.isoformat(),
                    "region": conversation.region,
                    "participant_count": conversation.participant_count,
                    "groups": list(conversation.groups or []),
                    "votes_for": None,
                    "votes_against": None,
                    "speaker_groups": [],
                    "locations": [],
                },
            )
            entry["locations"].append(source.location)
            if source.speaker_group and source.speaker_group not in entry["speaker_groups"]:
                entry["speaker_groups"].append(source.speaker_group)
            for name in ("votes_for", "votes_against"):
                value = getattr(source, name)
                if value is not None:
                    entry[name] = (entry[name] or 0) + value
                    totals[name] = (totals[name] or 0) + value
        out[statement_id] = {"conversations": list(per_conversation.values()), **totals}
    return out


@dataclass(frozen=True)
class ConversationSummary:
    """A community conversation as reports and theme statistics show it."""

    id: int
    title: str
    host_organisation: str
    held_on: date
    where: str
    online: bool
    region: str | None
    language: str
    participant_count: int | None
    groups: tuple[str, ...]
    consent_to_publish: bool
    statement_ids: tuple[int, ...]  # statements it raised (imported or linked), any moderation
    uploads: int

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["held_on"] = self.held_on.isoformat()
        data["groups"] = list(self.groups)
        data["statement_ids"] = list(self.statement_ids)
        return data


def conversations_for_phase(phase: Phase | int) -> list[ConversationSummary]:
    """The community conversations of a phase, oldest first, with the statements each raised."""
    phase_id = phase if isinstance(phase, int) else phase.id
    conversations = list(
        db.session.scalars(
            CommunityConversation.of_phase(phase_id).options(
                selectinload(CommunityConversation.uploads)
            )
        )
    )
    raised: dict[int, list[int]] = defaultdict(list)
    rows = db.session.execute(
        select(StatementSource.conversation_id, StatementSource.statement_id)
        .join(CommunityConversation)
        .where(CommunityConversation.phase_id == phase_id)
        .order_by(StatementSource.statement_id)
    )
    for conversation_id, statement_id in rows:
        if statement_id not in raised[conversation_id]:
            raised[conversation_id].append(statement_id)
    return [
        ConversationSummary(
            id=c.id,
            title=c.title,
            host_organisation=c.host_organisation,
            held_on=c.held_on,
            where=c.where,
            online=c.online,
            region=c.region,
            language=c.language,
            participant_count=c.participant_count,
            groups=tuple(c.groups or ()),
            consent_to_publish=c.consent_to_publish,
            statement_ids=tuple(raised.get(c.id, ())),
            uploads=sum(1 for u in c.uploads if u.state == UploadState.IMPORTED),
        )
        for c in conversations
    ]


def public_statements(
    conversation: CommunityConversation,
) -> list[tuple[Statement, StatementSource]]:
    """Accepted statements raised in a conversation with the source linking them, file order."""
    rows = db.session.execute(
        select(Statement, StatementSource)
        .join(StatementSource, StatementSource.statement_id == Statement.id)
        .where(
            StatementSource.conversation_id == conversation.id,
            Statement.moderation == Moderation.ACCEPTED,
        )
        .order_by(StatementSource.upload_id, StatementSource.id)
    )
    seen: set[int] = set()
    out = []
    for statement, source in rows:
        if statement.id not in seen:
            seen.add(statement.id)
            out.append((statement, source))
    return out


def public_statement_counts(phase: Phase) -> dict[int, int]:
    """Accepted statements raised by each conversation of a phase: conversation id → count."""
    rows = db.session.execute(
        select(StatementSource.conversation_id, func.count(func.distinct(Statement.id)))
        .join(Statement, Statement.id == StatementSource.statement_id)
        .join(CommunityConversation)
        .where(
            CommunityConversation.phase_id == phase.id,
            Statement.moderation == Moderation.ACCEPTED,
        )
        .group_by(StatementSource.conversation_id)
    )
    return {conversation_id: count for conversation_id, count in rows}


def imported_statements(
    conversation: CommunityConversation,
) -> list[tuple[Statement, list[StatementSource]]]:
    """Every statement imported or linked from a conversation with its sources there (host view)."""
    rows = db.session.execute(
        select(Statement, StatementSource)
        .join(StatementSource, StatementSource.statement_id == Statement.id)
        .where(StatementSource.conversation_id == conversation.id)
        .order_by(StatementSource.upload_id, StatementSource.id)
    )
    grouped: dict[int, tuple[Statement, list[StatementSource]]] = {}
    for statement, source in rows:
        grouped.setdefault(statement.id, (statement, []))[1].append(source)
    return list(grouped.values())
