"""Statement languages and translations: detection on arrival, corrections, translated texts.

A statement keeps the language it was written in (detected with py3langid when it arrives,
correctable by moderators). The Support Unit or a community host may add translations; a
participant reading in another language sees the translation, with the original one tap away.
Votes always go to the statement itself: a translation has no votes of its own.

Detection uses py3langid (a maintained numpy-only port of langid.py: 2 MB model, about 50 µs per
statement, loaded once per process), restricted to :data:`DETECTED_LANGUAGES` plus the
consultation's own languages, so short texts are not mistaken for rare languages. A guess below
:data:`MIN_CONFIDENCE` falls back to the consultation's first language.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from consult.accounts.models import Role, User
from consult.database import utcnow, write_transaction
from consult.errors import InvalidInput, NotFound
from consult.extensions import db
from consult.participation.models import Statement, StatementTranslation

#: Languages the detector chooses among (besides the consultation's own).
DETECTED_LANGUAGES = ("en", "fr", "es", "pt", "de", "ru", "it", "nl", "ar")
#: Below this normalised probability the consultation's first language is assumed.
MIN_CONFIDENCE = 0.6
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
TRANSLATION_MAX = 1000

_full = None
_restricted: dict[frozenset[str], object] = {}
_lock = threading.Lock()


def _detector(candidates: Iterable[str]):
    """A py3langid identifier restricted to DETECTED_LANGUAGES + ``candidates`` (cached)."""
    global _full
    with _lock:
        if _full is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        known = set(_full.labels)
        allowed = frozenset(set(DETECTED_LANGUAGES) | {c for c in candidates if c in known})
        if allowed not in _restricted:
            ptc, pc, classes = _full.nb_ptc, _full.nb_pc, _full.nb_classes
            sibling = type(_full)(
                ptc, pc, classes, _full.tk_nextmove, _full.tk_output, True, tk_row=_full.tk_row
            )
            sibling.set_languages(sorted(allowed))
            _restricted[allowed] = sibling
        return _restricted[allowed]


def detect_language(
    text: str, candidates: Iterable[str] = (), default: str | None = None
) -> str | None:
    """The language of ``text`` (ISO 639-1), or ``default`` when the guess is not confident.

    ``candidates`` (e.g. the consultation's languages) are considered besides
    :data:`DETECTED_LANGUAGES`.
    """
    if not text or not text.strip():
        return default
    code, probability = _detector(candidates).classify(text)
    return code if probability >= MIN_CONFIDENCE else default


def statement_language(text: str, consultation) -> str:
    """Language to store for a new statement of ``consultation``."""
    default = consultation.default_language
    return detect_language(text, consultation.languages or (), default) or default


def check_language(code: object) -> str:
    """A language code as stored (lower-case, two or three letters); InvalidInput otherwise."""
    value = str(code or "").strip().lower()
    if not LANGUAGE_RE.match(value):
        raise InvalidInput(
            _("Choose a language code of two or three letters, such as en, fr or es."),
            field="language",
        )
    return value


def get_statement(statement_id: int) -> Statement:
    statement = db.session.get(Statement, statement_id)
    if statement is None:
        raise NotFound(_("There is no statement %(id)d.", id=statement_id))
    return statement


def set_statement_language(statement: Statement, language: object) -> Statement:
    """A moderator's correction of the statement's language (keyword labels and themes use it)."""
    code = check_language(language)
    if code == statement.language:
        return statement
    with write_transaction(db.session):
        statement.language = code
    _themes_changed(statement.phase_id)
    return statement


def _themes_changed(phase_id: int) -> None:
    """Ask for a theme refresh: keyword labels use each statement's language."""
    try:
        from consult.themes.jobs import request_refresh_for_phase
    except ImportError:  # themes are optional in a stripped-down build
        return
    request_refresh_for_phase(phase_id)


def save_translation(statement: Statement, language: object, text: object, user: User):
    """Add or replace the ``language`` translation of ``statement``; empty text removes it.

    Returns the translation, or None when it was removed.
    """
    code = check_language(language)
    if code == statement.language:
        raise InvalidInput(
            _("The statement is already written in this language."), field="language"
        )
    clean = " ".join(str(text or "").split())
    if len(clean) > TRANSLATION_MAX:
        raise InvalidInput(
            _("A translation can have at most %(max)d characters.", max=TRANSLATION_MAX),
            field="text",
        )
    role = Role.HOST.value if user.role == Role.HOST else Role.SUPPORT.value
    with write_transaction(db.session) as session:
        existing = session.scalar(
            select(StatementTranslation).where(
                StatementTranslation.statement_id == statement.id,
                StatementTranslation.language == code,
            )
        )
        if not clean:
            if existing is not None:
                session.delete(existing)
            return None
        now = utcnow()
        if existing is None:
            existing = StatementTranslation(
                statement_id=statement.id, language=code, created_at=now, text=clean
            )
            session.add(existing)
        existing.text = clean
        existing.entered_by_id = user.id
        existing.entered_by_role = role
        existing.updated_at = now
    db.session.expire(statement, ["translations"])
    return existing


def translations_of(statement_ids: Sequence[int], language: str) -> dict[int, str]:
    """``{statement id: text}`` of the translations into ``language`` that exist."""
    if not statement_ids:
        return {}
    rows = db.session.execute(
        select(StatementTranslation.statement_id, StatementTranslation.text).where(
            StatementTranslation.statement_id.in_(list(statement_ids)),
            StatementTranslation.language == language,
        )
    )
    return dict(rows.all())


@dataclass(frozen=True)
class ShownStatement:
    """What a participant reads: the translation into their language if there is one."""

    id: int
    text: str
    language: str
    original_text: str
    original_language: str

    @property
    def translated(self) -> bool:
        return self.language != self.original_language


def shown_statement(statement: Statement, language: str, default: str = "en") -> ShownStatement:
    """The statement as a reader of ``language`` sees it (votes still go to ``statement.id``)."""
    original_language = statement.language or default
    if original_language != language:
        text = translations_of([statement.id], language).get(statement.id)
        if text:
            return ShownStatement(statement.id, text, language, statement.text, original_language)
    return ShownStatement(
        statement.id, statement.text, original_language, statement.text, original_language
    )


def localized_texts(phase_id: int, language: str) -> tuple[dict[int, str], dict[int, str]]:
    """Texts of a phase's statements for a reader of ``language``, and each text's language."""
    rows = db.session.execute(
        select(Statement.id, Statement.text, Statement.language).where(
            Statement.phase_id == phase_id
        )
    ).all()
    translated = translations_of([r.id for r in rows if r.language != language], language)
    texts, langs = {}, {}
    for row in rows:
        if row.id in translated:
            texts[row.id], langs[row.id] = translated[row.id], language
        else:
            texts[row.id], langs[row.id] = row.text, row.language or ""
    return texts, langs
