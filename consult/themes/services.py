"""Themes of a consultation: refresh runs, curation, statistics per phase, duplicate hints.

This is the boundary between the database and ``clustering.themes`` / ``clustering.duplicates``:
statements become arrays here, the pure method runs, and its result is stored as an immutable
:class:`ThemeRun`. Pages read runs (with later curation applied by the pure helper in
:mod:`consult.themes.curation`); nothing clusters inside a request.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select

from clustering.duplicates import (
    DEFAULT_DUPLICATE_THRESHOLD,
    DEFAULT_HINTS,
    near_duplicate_pairs,
    similar_statements,
)
from clustering.themes import ThemeConstraints, ThemeExtractor, ThemeResult
from clustering.themes import extract_themes as _extract_themes
from consult.accounts.models import User
from consult.analysis.services import phase_votes
from consult.consultations.models import Consultation, Phase
from consult.database import write_transaction
from consult.errors import InvalidInput, NotFound
from consult.extensions import db
from consult.notes.services import offline_support
from consult.participation.models import Moderation, Statement
from consult.themes.curation import apply_constraints, fold_curations
from consult.themes.embeddings import app_embedder, cached_vectors, embed_texts, text_hash
from consult.themes.models import CurationKind, ThemeCuration, ThemeRun

RANDOM_STATE = 0
LABEL_MAX = 80


# --- reading runs --------------------------------------------------------------------------------


def latest_theme_run(consultation_id: int) -> ThemeRun | None:
    return db.session.scalar(
        select(ThemeRun)
        .where(ThemeRun.consultation_id == consultation_id)
        .order_by(ThemeRun.id.desc())
        .limit(1)
    )


def load_theme_result(run: ThemeRun) -> ThemeResult:
    return ThemeResult.from_dict(run.result())


# --- the statements themes are computed from --------------------------------------------------


@dataclass(frozen=True)
class StatementRow:
    id: int
    phase_id: int
    text: str
    language: str | None


def consultation_statements(consultation_id: int) -> list[StatementRow]:
    """Every statement of the consultation that is not rejected (all phases, imported ones
    included), in id order."""
    rows = db.session.execute(
        select(Statement.id, Statement.phase_id, Statement.text, Statement.language)
        .join(Phase, Phase.id == Statement.phase_id)
        .where(
            Phase.consultation_id == consultation_id,
            Statement.moderation != Moderation.REJECTED,
        )
        .order_by(Statement.id)
    ).all()
    return [StatementRow(*row) for row in rows]


def inputs_digest(model: str, rows: Sequence[StatementRow]) -> str:
    """SHA-256 of what a theme run reads: model, method parameters, statements (id, text,
    language). Equal inputs, equal digest."""
    sha = hashlib.sha256()
    params = ThemeExtractor(random_state=RANDOM_STATE).get_params()
    header = {"model": model, "params": params}
    sha.update(json.dumps(header, sort_keys=True, default=str).encode())
    for row in rows:
        sha.update(f"\x1e{row.id}\x1f{row.language or ''}\x1f{text_hash(row.text)}".encode())
    return sha.hexdigest()


# --- curation log -------------------------------------------------------------------------------


def curation_log(consultation_id: int) -> list[ThemeCuration]:
    return list(
        db.session.scalars(
            select(ThemeCuration)
            .where(ThemeCuration.consultation_id == consultation_id)
            .order_by(ThemeCuration.id)
        )
    )


def current_constraints(consultation_id: int) -> ThemeConstraints:
    """Every curation of the consultation, folded in order."""
    return fold_curations((edit.kind.value, edit.payload) for edit in curation_log(consultation_id))


def _same_constraints(stored: dict[str, Any] | None, constraints: ThemeConstraints) -> bool:
    def canonical(value: Any) -> str:
        return json.dumps(value or {}, sort_keys=True, default=str)

    empty = ThemeConstraints().to_dict()
    stored = stored or empty
    return canonical(stored) == canonical(json.loads(json.dumps(constraints.to_dict())))


# --- refresh ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshOutcome:
    run: ThemeRun | None
    changed: bool
    reason: str


def refresh_themes(consultation: Consultation, *, embedder=None, force: bool = False):
    """Embed the consultation's statements (through the cache) and store a new theme run.

    The previous run gives the themes their ids and labels; the curation log is applied as
    constraints. Nothing is stored when the statements, the model and the constraints are the
    same as in the latest run (unless ``force``).
    """
    rows = consultation_statements(consultation.id)
    previous = latest_theme_run(consultation.id)
    if not rows:
        return RefreshOutcome(previous, False, "no statements yet")
    embedder = embedder or app_embedder()
    constraints = current_constraints(consultation.id)
    digest = inputs_digest(embedder.name, rows)
    if (
        previous is not None
        and not force
        and previous.inputs_hash == digest
        and _same_constraints(previous.constraints, constraints)
    ):
        return RefreshOutcome(previous, False, "statements and curation unchanged")
    previous_result = None
    if previous is not None and previous.model == embedder.name:
        previous_result = load_theme_result(previous)
    db.session.commit()  # end the read transaction before the long computation
    started = time.perf_counter()
    texts = [r.text for r in rows]
    vectors = embed_texts(texts, embedder)
    embed_seconds = time.perf_counter() - started
    result = _extract_themes(
        vectors,
        [r.id for r in rows],
        texts,
        [r.language for r in rows],
        previous=previous_result,
        constraints=constraints,
        model=embedder.name,
        random_state=RANDOM_STATE,
    )
    timings = {"embed": round(embed_seconds, 6), **dict(result.timings)}
    timings["total"] = round(time.perf_counter() - started, 6)
    run = ThemeRun(
        consultation_id=consultation.id,
        model=embedder.name,
        inputs_hash=digest,
        n_statements=len(rows),
        n_themes=sum(1 for t in result.themes if not t.is_other),
        constraints=constraints.to_dict(),
        timings=timings,
        result_json=ThemeRun.pack(result.to_dict()),
    )
    with write_transaction(db.session) as session:
        session.add(run)
    return RefreshOutcome(run, True, "new theme run stored")


# --- what the pages show ------------------------------------------------------------------------


@dataclass
class ThemesView:
    """The themes as they read now: the latest run with later curation applied."""

    consultation: Consultation
    run: ThemeRun | None
    result: ThemeResult | None
    constraints: ThemeConstraints
    texts: dict[int, str] = field(default_factory=dict)
    phases: dict[int, int] = field(default_factory=dict)  # statement id → phase position
    n_statements: int = 0

    @property
    def pending_edits(self) -> bool:
        """True when curation was added after the run (shown applied, recompute queued)."""
        return self.run is not None and not _same_constraints(
            self.run.constraints, self.constraints
        )

    @property
    def unassigned(self) -> int:
        """Statements newer than the run (they get a theme at the next refresh)."""
        if self.result is None:
            return self.n_statements
        return max(0, self.n_statements - len(self.result.assignments()))

    def theme(self, theme_id: str):
        if self.result is None:
            raise NotFound(gettext("there are no themes yet"))
        try:
            return self.result.theme(theme_id)
        except KeyError:
            raise NotFound(gettext("there is no theme %(id)s", id=repr(theme_id))) from None


def current_themes(consultation: Consultation) -> ThemesView:
    run = latest_theme_run(consultation.id)
    constraints = current_constraints(consultation.id)
    rows = consultation_statements(consultation.id)
    positions = dict(
        db.session.execute(
            select(Phase.id, Phase.position).where(Phase.consultation_id == consultation.id)
        ).all()
    )
    view = ThemesView(
        consultation=consultation,
        run=run,
        result=None,
        constraints=constraints,
        texts={r.id: r.text for r in rows},
        phases={r.id: positions[r.phase_id] for r in rows},
        n_statements=len(rows),
    )
    if run is None:
        return view
    result = load_theme_result(run)
    if not _same_constraints(run.constraints, constraints):
        result = apply_constraints(result, constraints)
    # Statements rejected since the run are no longer shown.
    view.result = _without(result, set(view.texts))
    return view


def _without(result: ThemeResult, keep: set[int]) -> ThemeResult:
    from dataclasses import replace

    themes = []
    for theme in result.themes:
        members = tuple(s for s in theme.statement_ids if s in keep)
        if members == theme.statement_ids:
            themes.append(theme)
        elif members or theme.is_other:
            central = theme.central_statement_id
            themes.append(
                replace(
                    theme,
                    statement_ids=members,
                    central_statement_id=central if central in members else (members or [None])[0],
                )
            )
    return replace(result, themes=tuple(themes))


# --- curation -------------------------------------------------------------------------------------


def _record(consultation: Consultation, kind: CurationKind, payload: dict, user: User | None):
    with write_transaction(db.session) as session:
        edit = ThemeCuration(
            consultation_id=consultation.id,
            kind=kind,
            payload=payload,
            user_id=user.id if user is not None else None,
        )
        session.add(edit)
    return edit


def _editable(view: ThemesView, theme_id: str, what: str):
    theme = view.theme(theme_id)
    if theme.is_other:
        messages = {
            "renamed": gettext("“Other” holds statements without a theme: it cannot be renamed."),
            "merged": gettext("“Other” holds statements without a theme: it cannot be merged."),
            "split": gettext("“Other” holds statements without a theme: it cannot be split."),
        }
        raise InvalidInput(messages[what])
    return theme


def rename_theme(consultation: Consultation, theme_id: str, label: object, user: User | None):
    """Give a theme the curator's label (kept by every later run)."""
    view = current_themes(consultation)
    _editable(view, theme_id, "renamed")
    clean = " ".join(str(label or "").split())
    if not clean:
        raise InvalidInput(gettext("Give the theme a name."), field="label")
    if len(clean) > LABEL_MAX:
        raise InvalidInput(
            gettext(
                "A theme name can have at most %(max)d characters (this one has %(n)d).",
                max=LABEL_MAX,
                n=len(clean),
            ),
            field="label",
        )
    return _record(consultation, CurationKind.RENAME, {"theme_id": theme_id, "label": clean}, user)


def merge_themes(consultation: Consultation, keep_id: str, absorb_id: str, user: User | None):
    """Merge ``absorb_id`` into ``keep_id`` (which keeps its id and label)."""
    view = current_themes(consultation)
    _editable(view, keep_id, "merged")
    _editable(view, absorb_id, "merged")
    if keep_id == absorb_id:
        raise InvalidInput(gettext("Choose another theme to merge with."), field="other_id")
    return _record(consultation, CurationKind.MERGE, {"theme_ids": [keep_id, absorb_id]}, user)


def split_theme(
    consultation: Consultation,
    theme_id: str,
    statement_ids: Sequence[int],
    user: User | None,
    label: str = "",
) -> str:
    """Move the chosen statements of a theme into a new theme; returns the new theme's id."""
    view = current_themes(consultation)
    theme = _editable(view, theme_id, "split")
    chosen = list(dict.fromkeys(int(s) for s in statement_ids))
    members = list(theme.statement_ids)
    outside = [s for s in chosen if s not in members]
    if outside:
        raise InvalidInput(
            gettext("Statement %(id)d is not in this theme.", id=outside[0]), field="statement_ids"
        )
    if not chosen:
        raise InvalidInput(
            gettext("Choose the statements that go to the new theme."), field="statement_ids"
        )
    if len(chosen) == len(members):
        raise InvalidInput(
            gettext("Leave at least one statement in the theme (to rename it, use Rename)."),
            field="statement_ids",
        )
    assert view.result is not None
    new_id = view.result.new_theme_id(view.constraints)
    rest = [s for s in members if s not in chosen]
    parts = {theme_id: rest, new_id: [s for s in members if s in chosen]}
    _record(consultation, CurationKind.SPLIT, {"theme_id": theme_id, "parts": parts}, user)
    if " ".join(str(label or "").split()):
        rename_theme(consultation, new_id, label, user)
    return new_id


def move_statement(
    consultation: Consultation, statement_id: int, theme_id: str, user: User | None
) -> ThemeCuration:
    """Put a statement in another theme (or in "Other"); it stays there after recomputes."""
    view = current_themes(consultation)
    if view.result is None:
        raise NotFound(gettext("there are no themes yet"))
    current = view.result.assignments().get(statement_id)
    if current is None:
        raise NotFound(gettext("statement %(id)d has no theme yet", id=statement_id))
    view.theme(theme_id)
    if current == theme_id:
        raise InvalidInput(gettext("The statement is already in that theme."), field="theme_id")
    payload = {"statement_id": statement_id, "theme_id": theme_id}
    return _record(consultation, CurationKind.MOVE, payload, user)


# --- statistics per phase ---------------------------------------------------------------------


def phase_statement_ids(phase: Phase) -> list[int]:
    return list(
        db.session.scalars(
            select(Statement.id)
            .where(Statement.phase_id == phase.id, Statement.moderation != Moderation.REJECTED)
            .order_by(Statement.id)
        )
    )


@dataclass
class PhaseThemes:
    """What the results page shows about themes: figures and where they come from."""

    run_id: int
    run_created_at: datetime
    result: ThemeResult
    statistics: list  # list[ThemeStatistics], themes with statements in the phase
    snapshot_id: int | None
    group_ids: list[int]

    @staticmethod
    def group_label(group_id: int) -> str:
        from consult.analysis.presenters import group_label

        return group_label(group_id)


_STATISTICS_CACHE: OrderedDict[tuple, PhaseThemes] = OrderedDict()
_STATISTICS_CACHE_SIZE = 32


def phase_theme_statistics(phase: Phase, snapshot=None, analysis=None) -> PhaseThemes | None:
    """Theme figures of a phase from the latest theme run and the given opinion snapshot.

    Vote counts come from the phase's votes when the pair (theme run, snapshot) is first shown;
    the figures are then kept in memory until either changes (a new snapshot follows new votes
    within seconds), so a page view does not read every vote of the phase.
    """
    from consult.themes.statistics import theme_statistics

    run = latest_theme_run(phase.consultation_id)
    if run is None:
        return None
    key = (
        phase.id,
        run.id,
        run.created_at,
        snapshot.id if snapshot is not None else None,
        snapshot.created_at if snapshot is not None else None,
    )
    with _vector_lock:
        cached = _STATISTICS_CACHE.get(key)
        if cached is not None:
            _STATISTICS_CACHE.move_to_end(key)
            return cached
    result = load_theme_result(run)
    ids = phase_statement_ids(phase)
    stats = theme_statistics(
        result, analysis, phase_votes(phase), ids, offline=offline_support(ids)
    )
    group_ids = analysis.statements.group_ids.tolist() if analysis is not None else []
    figures = PhaseThemes(
        run_id=run.id,
        run_created_at=run.created_at,
        result=result,
        statistics=[s for s in stats if s.n_statements],
        snapshot_id=snapshot.id if snapshot is not None else None,
        group_ids=group_ids,
    )
    with _vector_lock:
        _STATISTICS_CACHE[key] = figures
        while len(_STATISTICS_CACHE) > _STATISTICS_CACHE_SIZE:
            _STATISTICS_CACHE.popitem(last=False)
    return figures


# --- duplicate hints and near-duplicate pairs ---------------------------------------------------


@dataclass(frozen=True)
class _Vectors:
    fingerprint: str
    ids: list[int]
    matrix: np.ndarray
    missing: int


_VECTOR_CACHE: OrderedDict[tuple[str, int, str], _Vectors] = OrderedDict()
_VECTOR_CACHE_SIZE = 64
_vector_lock = threading.Lock()


def _phase_vectors(
    scope: str, phase_id: int, model: str, rows: Sequence[tuple[int, str]]
) -> _Vectors:
    """Cached embeddings of the statements ``rows`` of a phase, kept in memory (per ``scope``:
    which of its statements) while those statements stay the same.

    Only the database cache is read: statements not embedded yet (the refresh job embeds them)
    are left out and counted in ``missing``, and the entry is rebuilt on the next call.
    """
    hashes = [text_hash(text) for _, text in rows]
    sha = hashlib.sha256()
    for (sid, _), digest in zip(rows, hashes, strict=True):
        sha.update(f"{sid}:{digest};".encode())
    fingerprint = sha.hexdigest()
    key = (scope, phase_id, model)
    with _vector_lock:
        hit = _VECTOR_CACHE.get(key)
        if hit is not None and hit.fingerprint == fingerprint and hit.missing == 0:
            _VECTOR_CACHE.move_to_end(key)
            return hit
    found = cached_vectors(model, hashes)
    keep = [(sid, found[h]) for (sid, _), h in zip(rows, hashes, strict=True) if h in found]
    dimension = next(iter(found.values())).shape[0] if found else 0
    matrix = (
        np.stack([v for _, v in keep]).astype(np.float32)
        if keep
        else np.zeros((0, dimension), np.float32)
    )
    vectors = _Vectors(fingerprint, [sid for sid, _ in keep], matrix, len(rows) - len(keep))
    with _vector_lock:
        _VECTOR_CACHE[key] = vectors
        _VECTOR_CACHE.move_to_end(key)
        while len(_VECTOR_CACHE) > _VECTOR_CACHE_SIZE:
            _VECTOR_CACHE.popitem(last=False)
    return vectors


def forget_cached_vectors() -> None:
    """Empty the in-memory statement vectors and theme figures (rebuilt from the database)."""
    with _vector_lock:
        _VECTOR_CACHE.clear()
        _STATISTICS_CACHE.clear()


def duplicate_threshold() -> float:
    return float(current_app.config.get("CONSULT_DUPLICATE_THRESHOLD", DEFAULT_DUPLICATE_THRESHOLD))


@dataclass(frozen=True)
class Hint:
    statement: Statement
    similarity: float


def similar_in_phase(phase: Phase, text: str, *, embedder=None, k: int = DEFAULT_HINTS):
    """Up to ``k`` statements shown to voters in ``phase`` that say nearly what ``text`` says.

    The typed text is embedded (the only model call); the phase's statement vectors come from
    memory or the database cache. Statements not embedded yet are skipped and a theme refresh
    (which embeds them) is requested.
    """
    from consult.participation.services import visible_condition

    rows = db.session.execute(
        select(Statement.id, Statement.text)
        .where(Statement.phase_id == phase.id, visible_condition(phase))
        .order_by(Statement.id)
    ).all()
    if not rows:
        return []
    embedder = embedder or app_embedder()
    vectors = _phase_vectors("visible", phase.id, embedder.name, [(r[0], r[1]) for r in rows])
    if vectors.missing:
        from consult.themes.jobs import request_refresh

        request_refresh(phase.consultation_id)
    if not vectors.ids:
        return []
    query = np.asarray(embedder.embed([text]), dtype=np.float32)[0]
    hits = similar_statements(
        query, vectors.matrix, vectors.ids, k=k, threshold=duplicate_threshold()
    )
    if not hits:
        return []
    statements = {
        s.id: s
        for s in db.session.scalars(
            select(Statement).where(Statement.id.in_([h.statement_id for h in hits]))
        )
    }
    return [Hint(statements[h.statement_id], h.similarity) for h in hits]


@dataclass(frozen=True)
class DuplicatePairView:
    pending: Statement
    other: Statement
    similarity: float


@dataclass
class QueueDuplicates:
    pairs: list[DuplicatePairView]
    not_compared: int  # pending statements without a cached embedding yet


def queue_duplicates(phase_id: int | None = None, limit: int = 20) -> QueueDuplicates:
    """Pending statements that nearly repeat another statement of their phase (pending or not),
    most similar first; from cached embeddings only (no model call)."""
    pending_phases = select(Statement.phase_id).where(Statement.moderation == Moderation.PENDING)
    if phase_id is not None:
        pending_phases = pending_phases.where(Statement.phase_id == phase_id)
    phase_ids = sorted(set(db.session.scalars(pending_phases.distinct())))
    found: list[tuple[float, int, int]] = []
    not_compared = 0
    for pid in phase_ids:
        rows = db.session.execute(
            select(Statement.id, Statement.text, Statement.moderation)
            .where(Statement.phase_id == pid, Statement.moderation != Moderation.REJECTED)
            .order_by(Statement.id)
        ).all()
        pending = {r[0] for r in rows if r[2] == Moderation.PENDING}
        model = app_model_name()
        vectors = _phase_vectors("moderation", pid, model, [(r[0], r[1]) for r in rows])
        index = set(vectors.ids)
        not_compared += len(pending - index)
        if len(vectors.ids) < 2:
            continue
        threshold = duplicate_threshold()
        for pair in near_duplicate_pairs(vectors.matrix, vectors.ids, threshold=threshold):
            first, second = int(pair.first_id), int(pair.second_id)
            if first in pending or second in pending:
                if second in pending and first not in pending:
                    first, second = second, first
                elif first in pending and second in pending:
                    first, second = max(first, second), min(first, second)  # newer is pending
                found.append((pair.similarity, first, second))
    found.sort(key=lambda item: (-item[0], item[1], item[2]))
    found = found[:limit]
    ids = {i for _, a, b in found for i in (a, b)}
    statements = {
        s.id: s for s in db.session.scalars(select(Statement).where(Statement.id.in_(ids)))
    }
    return QueueDuplicates(
        [DuplicatePairView(statements[a], statements[b], s) for s, a, b in found], not_compared
    )


def app_model_name() -> str:
    """Name (cache key) of the configured embedding model, without loading the model."""
    from clustering.embeddings import resolve_model

    return resolve_model(current_app.config.get("CONSULT_EMBEDDING_MODEL"))[0]


def count_statements(consultation_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Statement)
            .join(Phase, Phase.id == Statement.phase_id)
            .where(
                Phase.consultation_id == consultation_id,
                Statement.moderation != Moderation.REJECTED,
            )
        )
        or 0
    )


def phase_of_statement(statement_id: int) -> Phase:
    statement = db.session.get(Statement, statement_id)
    if statement is None:
        raise NotFound(gettext("no statement with id %(id)d", id=statement_id))
    return statement.phase
