"""What the consensus maps show, read from stored analysis snapshots, map extras and theme runs.

Nothing here clusters or fits a model inside a request. Pages read the latest
:class:`AnalysisSnapshot` of a phase (immutable, so its parsed result is cached per process), the
:class:`MapExtras` a job computed for it (bridging scores, robustness across k) and the latest
:class:`ThemeRun`. The intervals and cautious consensus labels of
:mod:`clustering.uncertainty` are closed-form arithmetic on the snapshot's stored per-group counts
(a few microseconds), so they are derived here rather than stored.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from clustering.bridging import BridgingResult, bridging_scores
from clustering.opinion_groups import AnalysisResult
from clustering.robustness import RobustnessResult, consensus_robustness
from clustering.themes import ThemeResult
from clustering.uncertainty import AGREE, DISAGREE, GroupAgreement, group_agreement
from clustering.votes import VoteMatrix
from consult.analysis.models import AnalysisSnapshot
from consult.analysis.presenters import group_label
from consult.analysis.services import latest_snapshot, load_result, phase_votes, snapshot_age
from consult.consultations.models import Consultation, Phase
from consult.consultations.services import get_consultation, get_phase
from consult.database import write_transaction
from consult.errors import NotFound
from consult.extensions import db
from consult.maps import figures
from consult.maps.models import MapExtras
from consult.participation.models import Statement
from consult.themes.labels import theme_label_text
from consult.themes.models import CurationKind, ThemeCuration, ThemeRun

RANDOM_STATE = 0
CONSENSUS_THRESHOLD = 0.5
LEVEL = 0.9
ROBUSTNESS_KS = (2, 3, 4, 5)
BRIDGING_ROWS = 15
OVERLAY_MAX = 20
LIST_LIMIT = 20

# --- snapshots, cached per process (they never change) ----------------------------------------

_CACHE_SIZE = 4
_results: OrderedDict[tuple, AnalysisResult] = OrderedDict()
_figures: OrderedDict[tuple, figures.MapFigure] = OrderedDict()
_lock = threading.Lock()


def _remember(cache: OrderedDict, key: Any, value: Any) -> None:
    with _lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)


def clear_caches() -> None:
    """Forget parsed snapshots and laid-out maps (benchmarks measure a cold build with it)."""
    with _lock:
        _results.clear()
        _figures.clear()


def _key(snapshot: AnalysisSnapshot) -> tuple[str, int, str, str]:
    """Cache key of a snapshot: ids alone may repeat across databases (tests, copies)."""
    return (str(db.engine.url), snapshot.id, snapshot.inputs_hash, str(snapshot.created_at))


def snapshot_result(snapshot: AnalysisSnapshot) -> AnalysisResult:
    """The parsed result of a snapshot (cached: snapshots are immutable)."""
    key = _key(snapshot)
    with _lock:
        cached = _results.get(key)
    if cached is not None:
        return cached
    result = load_result(snapshot)
    _remember(_results, key, result)
    return result


@dataclass(frozen=True)
class Source:
    """Where a figure's numbers come from, said under every figure and inside every download."""

    snapshot_id: int
    created_at: datetime
    age: str
    phase_position: int
    phase_title: str
    theme_run_id: int | None = None

    def when(self) -> str:
        """'5 Mar 2026 14:30 UTC' (month names in the reader's language; times are UTC)."""
        return f"{format_datetime(self.created_at, 'd MMM y HH:mm')} UTC"

    def caption(self) -> str:
        values = {
            "snapshot": self.snapshot_id,
            "position": self.phase_position,
            "title": self.phase_title,
            "when": self.when(),
        }
        if self.theme_run_id is not None:
            return _(
                "Analysis snapshot %(snapshot)d of phase %(position)d (%(title)s), computed "
                "%(when)s; themes from theme run %(run)d.",
                run=self.theme_run_id,
                **values,
            )
        return _(
            "Analysis snapshot %(snapshot)d of phase %(position)d (%(title)s), computed %(when)s.",
            **values,
        )


@dataclass
class PhaseMaps:
    """A phase and its latest analysis, as every map page starts from."""

    consultation: Consultation
    phase: Phase
    snapshot: AnalysisSnapshot | None
    result: AnalysisResult | None = None

    @property
    def source(self) -> Source | None:
        if self.snapshot is None:
            return None
        return Source(
            snapshot_id=self.snapshot.id,
            created_at=self.snapshot.created_at,
            age=snapshot_age(self.snapshot),
            phase_position=self.phase.position,
            phase_title=self.phase.title,
        )

    def group_rows(self) -> list[tuple[int, str, int]]:
        """(group id, label, size) in the analysis' group order."""
        assert self.result is not None
        return [(g.id, group_label(g.id), g.size) for g in self.result.groups]


def phase_maps(slug: str, position: int) -> PhaseMaps:
    """The phase (NotFound when absent) with its latest snapshot, parsed."""
    phase = get_phase(slug, position)
    snapshot = latest_snapshot(phase.id)
    result = snapshot_result(snapshot) if snapshot is not None else None
    return PhaseMaps(phase.consultation, phase, snapshot, result)


def statement_texts(phase_id: int, ids: list[int] | None = None) -> dict[int, str]:
    """Texts of the phase's statements (only ``ids`` when given)."""
    query = select(Statement.id, Statement.text).where(Statement.phase_id == phase_id)
    if ids is not None:
        if not ids:
            return {}
        query = query.where(Statement.id.in_(ids))
    return dict(db.session.execute(query).all())


# --- the opinion map --------------------------------------------------------------------------


@dataclass(frozen=True)
class RepLine:
    """A representative statement: the group's share vs everyone else's, in its direction."""

    statement_id: int
    text: str
    direction: str
    share: float
    share_others: float
    n: int
    n_others: int


@dataclass(frozen=True)
class GroupRow:
    id: int
    label: str
    size: int
    share: float
    colour: str
    representative: list[RepLine]


def overlay_statements(pm: PhaseMaps) -> list[int]:
    """Statements marked on the map: each group's representative ones, then the common ground."""
    assert pm.result is not None
    ids: list[int] = []
    for g in pm.result.groups:
        ids.extend(r.statement_id for r in g.representative)
    ids.extend(common_ground_ids(pm))
    seen: dict[int, None] = {}
    for sid in ids:
        seen.setdefault(sid, None)
    return list(seen)[:OVERLAY_MAX]


def map_figure(pm: PhaseMaps, *, overlay: bool = False) -> figures.MapFigure:
    """The laid-out opinion map of the phase's latest snapshot (cached per snapshot)."""
    assert pm.snapshot is not None and pm.result is not None
    key = (*_key(pm.snapshot), overlay)
    with _lock:
        cached = _figures.get(key)
    if cached is not None:
        return cached
    p = pm.result.participants
    marks = None
    if overlay:
        st = pm.result.statements
        marks = []
        for sid in overlay_statements(pm):
            j = st.index_of(sid)
            marks.append((sid, float(st.x[j]), float(st.y[j])))
    figure = figures.opinion_map(p.x, p.y, p.group, pm.group_rows(), statements=marks)
    _remember(_figures, key, figure)
    return figure


def group_rows(pm: PhaseMaps, texts: dict[int, str] | None = None) -> list[GroupRow]:
    """Every group with its representative statements (texts fetched when not given)."""
    assert pm.result is not None
    if texts is None:
        ids = [r.statement_id for g in pm.result.groups for r in g.representative]
        texts = statement_texts(pm.phase.id, ids)
    clustered = max(pm.result.counts.get("n_clustered", 0), 1)
    rows = []
    for pos, g in enumerate(pm.result.groups):
        reps = []
        for r in g.representative:
            agree = r.direction == "agree"
            reps.append(
                RepLine(
                    statement_id=r.statement_id,
                    text=texts.get(r.statement_id) or _("Statement %(id)d", id=r.statement_id),
                    direction=r.direction,
                    share=r.agree_share if agree else r.disagree_share,
                    share_others=r.agree_share_others if agree else r.disagree_share_others,
                    n=r.n_votes,
                    n_others=r.n_votes_others,
                )
            )
        rows.append(
            GroupRow(g.id, group_label(g.id), g.size, g.size / clustered, figures.colour(pos), reps)
        )
    return rows


def group_row(pm: PhaseMaps, group_id: int) -> GroupRow:
    """One group (NotFound when the snapshot has no such group)."""
    assert pm.result is not None
    for pos, g in enumerate(pm.result.groups):
        if g.id == group_id:
            ids = [r.statement_id for r in g.representative]
            row = group_rows(pm, statement_texts(pm.phase.id, ids))[pos]
            return row
    raise NotFound(
        _(
            "analysis snapshot %(snapshot)s has no group %(group)d",
            snapshot=pm.snapshot.id if pm.snapshot else "?",
            group=group_id,
        )
    )


# --- common ground and divides ----------------------------------------------------------------


def agreement(pm: PhaseMaps) -> GroupAgreement:
    """Per group n, shares, 90 % intervals and cautious labels from the snapshot's counts."""
    assert pm.result is not None
    st = pm.result.statements
    eligible = (st.n_votes > 0) & ~st.moderated_out & ~st.meta
    return group_agreement(
        st.ids,
        st.group_ids,
        st.group_agree,
        st.group_disagree,
        st.group_votes,
        threshold=CONSENSUS_THRESHOLD,
        level=LEVEL,
        eligible=eligible,
    )


def common_ground_ids(pm: PhaseMaps) -> list[int]:
    ga = agreement(pm)
    return ga.consensus_ids(AGREE) + ga.consensus_ids(DISAGREE)


@dataclass(frozen=True)
class GroupCell:
    label: str
    colour: str
    n: int
    share: float
    low: float
    high: float


@dataclass(frozen=True)
class StatementAgreement:
    statement_id: int
    text: str
    direction: str  # agree / disagree / divided
    cells: list[GroupCell]  # agree shares for "divided", else shares in ``direction``
    disagree_cells: list[GroupCell] = field(default_factory=list)  # for "divided"
    holds: bool | None = None  # robust across k (None: not computed yet)
    fragile: bool | None = None
    divisiveness: float | None = None


@dataclass
class CommonGround:
    agree: list[StatementAgreement]
    disagree: list[StatementAgreement]
    divided: list[StatementAgreement]
    threshold: float
    level: float
    n_groups: int
    totals: dict[str, int] = field(default_factory=dict)  # before the per-list limit

    @property
    def truncated(self) -> bool:
        return any(
            self.totals.get(k, 0) > len(getattr(self, k)) for k in ("agree", "disagree", "divided")
        )


def _cells(ga: GroupAgreement, col: int, direction: str) -> list[GroupCell]:
    share = ga.agree_share if direction == AGREE else ga.disagree_share
    low = ga.agree_low if direction == AGREE else ga.disagree_low
    high = ga.agree_high if direction == AGREE else ga.disagree_high
    return [
        GroupCell(
            group_label(int(gid)),
            figures.colour(row),
            int(ga.n[row, col]),
            float(share[row, col]),
            float(low[row, col]),
            float(high[row, col]),
        )
        for row, gid in enumerate(ga.group_ids.tolist())
    ]


def common_ground(
    pm: PhaseMaps, robustness: RobustnessResult | None = None, *, limit: int | None = LIST_LIMIT
) -> CommonGround:
    """Consensus (every group's lower bound clears the threshold) and divided statements, the
    firmest first, at most ``limit`` per list (None: all)."""
    assert pm.result is not None
    ga = agreement(pm)
    full = {
        "agree": ga.consensus_ids(AGREE),
        "disagree": ga.consensus_ids(DISAGREE),
        "divided": ga.divided_ids(),
    }
    agree_ids, disagree_ids, divided_ids = (full[k][:limit] for k in full)
    texts = statement_texts(pm.phase.id, agree_ids + disagree_ids + divided_ids)
    st = pm.result.statements
    holds: dict[int, tuple[bool, bool]] = {}
    if robustness is not None:
        h, f = robustness.holds, robustness.fragile
        holds = {int(s): (bool(h[i]), bool(f[i])) for i, s in enumerate(robustness.statement_ids)}

    def line(sid: int, direction: str) -> StatementAgreement:
        col = ga.column(sid)
        robust = holds.get(sid)
        return StatementAgreement(
            statement_id=sid,
            text=texts.get(sid, f"Statement {sid}"),
            direction=direction,
            cells=_cells(ga, col, AGREE if direction == "divided" else direction),
            disagree_cells=_cells(ga, col, DISAGREE) if direction == "divided" else [],
            holds=robust[0] if robust else None,
            fragile=robust[1] if robust else None,
            divisiveness=float(st.divisiveness[st.index_of(sid)]),
        )

    return CommonGround(
        agree=[line(s, AGREE) for s in agree_ids],
        disagree=[line(s, DISAGREE) for s in disagree_ids],
        divided=[line(s, "divided") for s in divided_ids],
        threshold=CONSENSUS_THRESHOLD,
        level=LEVEL,
        n_groups=len(ga.group_ids),
        totals={k: len(v) for k, v in full.items()},
    )


# --- extras: bridging and robustness, computed by a job ---------------------------------------


@dataclass(frozen=True)
class Extras:
    record: MapExtras
    bridging: BridgingResult
    robustness: RobustnessResult

    @property
    def note(self) -> str:
        """The stored note (in English) in the reader's language."""
        note = str(self.record.params.get("note", ""))
        return _(LATER_VOTES_NOTE) if note == LATER_VOTES_NOTE else note


def N_(message: str) -> str:
    """Mark a string for the catalogue; it is stored in English and translated when shown."""
    return message


#: Stored with extras fitted on more votes than the snapshot saw (translated when shown).
LATER_VOTES_NOTE = N_("includes votes cast since the analysis by the same participants")


def extras_for(snapshot: AnalysisSnapshot | None) -> Extras | None:
    if snapshot is None:
        return None
    record = db.session.scalar(select(MapExtras).where(MapExtras.snapshot_id == snapshot.id))
    if record is None:
        return None
    payload = record.result()
    return Extras(
        record,
        BridgingResult.from_dict(payload["bridging"]),
        RobustnessResult.from_dict(payload["robustness"]),
    )


def extras_state(snapshot: AnalysisSnapshot) -> str:
    """'queued', 'running', 'failed: …' or 'missing' for a snapshot without extras; asks for
    the job (coalesced) when nothing is queued and automatic jobs are on."""
    from flask import current_app

    from consult.jobs.models import JobState
    from consult.jobs.services import latest_job
    from consult.maps.jobs import KIND, auto_maps, enqueue_extras, job_key

    job = latest_job(KIND, job_key(snapshot.id))
    if job is not None and job.state in (JobState.QUEUED, JobState.RUNNING):
        return job.state.value
    if job is not None and job.state == JobState.FAILED:
        return f"failed: {job.error}"
    if auto_maps(current_app):
        enqueue_extras(snapshot.id)
        return "queued"
    return "missing"


@dataclass(frozen=True)
class ExtrasOutcome:
    computed: bool
    reason: str


def _snapshot_votes(snapshot: AnalysisSnapshot, result: AnalysisResult) -> tuple[VoteMatrix, bool]:
    """The phase's votes as the snapshot saw them: its participants and statements only.

    Votes cast since the snapshot by its participants on its statements are included (the job
    runs seconds after the analysis); the boolean says whether the inputs are exactly the
    analysed ones.
    """
    phase = db.session.get(Phase, snapshot.phase_id)
    inputs = phase_votes(phase)
    exact = inputs.digest() == snapshot.inputs_hash
    st = result.statements
    p_ids = np.asarray(result.participants.ids)
    keep = np.isin(inputs.participant_ids, p_ids) & np.isin(inputs.statement_ids, st.ids)
    votes = VoteMatrix.from_votes(
        inputs.participant_ids[keep],
        inputs.statement_ids[keep],
        inputs.values[keep],
        moderated_out=[int(s) for s in st.ids[st.moderated_out]],
        meta=[int(s) for s in st.ids[st.meta]],
        all_statement_ids=[int(s) for s in st.ids],
    )
    return votes, exact


def compute_extras(snapshot_id: int) -> ExtrasOutcome:
    """Fit bridging scores and robustness for a snapshot and store them (once per snapshot)."""
    snapshot = db.session.get(AnalysisSnapshot, snapshot_id)
    if snapshot is None:
        return ExtrasOutcome(False, f"no analysis snapshot {snapshot_id}")
    if db.session.scalar(select(MapExtras.id).where(MapExtras.snapshot_id == snapshot_id)):
        return ExtrasOutcome(False, "already computed")
    result = snapshot_result(snapshot)
    votes, exact = _snapshot_votes(snapshot, result)
    if not np.array_equal(np.asarray(votes.participant_ids), np.asarray(result.participants.ids)):
        return ExtrasOutcome(False, "the snapshot's participants no longer match the votes")
    db.session.commit()  # end the read transaction before the long computation
    timings: dict[str, float] = {}
    t = time.perf_counter()
    bridging = bridging_scores(votes, random_state=RANDOM_STATE)
    timings["bridging"] = time.perf_counter() - t
    t = time.perf_counter()
    robustness = consensus_robustness(
        votes,
        result,
        ks=ROBUSTNESS_KS,
        threshold=CONSENSUS_THRESHOLD,
        level=LEVEL,
        random_state=RANDOM_STATE,
    )
    timings["robustness"] = time.perf_counter() - t
    note = "" if exact else LATER_VOTES_NOTE
    record = MapExtras(
        snapshot_id=snapshot_id,
        params={
            "bridging": bridging.params,
            "ks": list(ROBUSTNESS_KS),
            "threshold": CONSENSUS_THRESHOLD,
            "level": LEVEL,
            "exact_inputs": exact,
            "n_votes": votes.n_votes,
            "note": note,
        },
        timings=timings,
        result_json=MapExtras.pack(
            {"bridging": bridging.to_dict(), "robustness": robustness.to_dict()}
        ),
    )
    with write_transaction(db.session) as session:
        if session.scalar(select(MapExtras.id).where(MapExtras.snapshot_id == snapshot_id)):
            return ExtrasOutcome(False, "already computed")
        session.add(record)
    return ExtrasOutcome(True, "computed")


# --- bridging beside group-informed consensus ---------------------------------------------------


@dataclass(frozen=True)
class BridgingLine:
    statement_id: int
    text: str
    score: float
    rank: int
    consensus: float  # group-informed consensus (Pol.is)
    consensus_rank: int
    n_ratings: int


@dataclass
class BridgingView:
    rows: list[BridgingLine]
    only_consensus: list[BridgingLine]  # high group-informed consensus, not among top bridging
    score_max: float


def bridging_view(pm: PhaseMaps, extras: Extras, limit: int = BRIDGING_ROWS) -> BridgingView:
    assert pm.result is not None
    st = pm.result.statements
    br = extras.bridging
    ok = (st.n_votes > 0) & ~st.moderated_out & ~st.meta
    cols = np.flatnonzero(ok)
    score = np.asarray(br.intercept)
    gic = np.asarray(st.group_informed_consensus)
    by_score = cols[np.argsort(-score[cols], kind="stable")]
    by_gic = cols[np.argsort(-gic[cols], kind="stable")]
    rank_score = {int(c): i + 1 for i, c in enumerate(by_score)}
    rank_gic = {int(c): i + 1 for i, c in enumerate(by_gic)}
    top = by_score[:limit]
    extra = [c for c in by_gic[:limit] if rank_score[int(c)] > limit][:5]
    texts = statement_texts(pm.phase.id, [int(st.ids[c]) for c in list(top) + extra])

    def line(c: int) -> BridgingLine:
        sid = int(st.ids[c])
        return BridgingLine(
            sid,
            texts.get(sid, f"Statement {sid}"),
            float(score[c]),
            rank_score[int(c)],
            float(gic[c]),
            rank_gic[int(c)],
            int(br.n_ratings[c]),
        )

    rows = [line(int(c)) for c in top]
    return BridgingView(
        rows=rows,
        only_consensus=[line(int(c)) for c in extra],
        score_max=max([abs(r.score) for r in rows] + [1e-9]),
    )


# --- robustness across k -----------------------------------------------------------------------


@dataclass(frozen=True)
class RobustLine:
    statement_id: int
    text: str
    labels: list[str]
    holds: bool


@dataclass
class RobustnessView:
    ks: list[int]
    n_groups: list[int]
    formed: list[bool]
    group_sizes: list[list[int]]
    rows: list[RobustLine]
    n_holds: int
    n_fragile: int


def robustness_view(pm: PhaseMaps, extras: Extras) -> RobustnessView:
    rb = extras.robustness
    rows_formed = rb.labels[rb.formed]
    sure = ((rows_formed == AGREE) | (rows_formed == DISAGREE)).any(0)
    cols = np.flatnonzero(sure)
    holds = rb.holds
    order = sorted(cols.tolist(), key=lambda c: (not holds[c], int(rb.statement_ids[c])))
    texts = statement_texts(pm.phase.id, [int(rb.statement_ids[c]) for c in order])
    rows = [
        RobustLine(
            int(rb.statement_ids[c]),
            texts.get(int(rb.statement_ids[c]), ""),
            [str(rb.labels[i, c]) for i in range(len(rb.ks))],
            bool(holds[c]),
        )
        for c in order
    ]
    return RobustnessView(
        ks=list(rb.ks),
        n_groups=list(rb.n_groups),
        formed=rb.formed.tolist(),
        group_sizes=[list(s) for s in rb.group_sizes],
        rows=rows,
        n_holds=int(holds.sum()),
        n_fragile=int(rb.fragile.sum()),
    )


# --- theme × group heatmap ---------------------------------------------------------------------


def latest_run(consultation_id: int) -> ThemeRun | None:
    return db.session.scalar(
        select(ThemeRun)
        .where(ThemeRun.consultation_id == consultation_id)
        .order_by(ThemeRun.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class HeatCell:
    share: float | None
    n: int
    fill: str
    ink: str


@dataclass(frozen=True)
class HeatRow:
    theme_id: str
    label: str
    n_statements: int
    cells: list[HeatCell]
    everyone: HeatCell


@dataclass
class Heatmap:
    groups: list[tuple[str, str, int]]  # (label, colour, size)
    rows: list[HeatRow]
    run: ThemeRun
    source: Source


def _cell(n_agree: int, n_votes: int) -> HeatCell:
    share = n_agree / n_votes if n_votes else None
    fill, ink = figures.ramp_colour(share)
    return HeatCell(share, n_votes, fill, ink)


def heatmap(pm: PhaseMaps) -> Heatmap | None:
    """Agree share of each opinion group on each theme's statements in this phase (None when
    the consultation has no theme run yet). Uses :func:`consult.themes.statistics.theme_statistics`
    on the snapshot (in-conv members' votes, as the snapshot counted them)."""
    from consult.themes.statistics import theme_statistics

    assert pm.result is not None and pm.snapshot is not None
    run = latest_run(pm.consultation.id)
    if run is None:
        return None
    themes = ThemeResult.from_dict(run.result())
    st = pm.result.statements
    phase_ids = [int(s) for s in st.ids[~st.moderated_out]]
    stats = theme_statistics(themes, pm.result, None, phase_ids)
    rows = []
    for s in stats:
        if not s.n_statements or s.n_analysed == 0:
            continue
        cells = [_cell(g.n_agree, g.n_votes) for g in s.groups]
        everyone = _cell(sum(g.n_agree for g in s.groups), sum(g.n_votes for g in s.groups))
        rows.append(HeatRow(s.theme_id, s.label, s.n_statements, cells, everyone))
    source = pm.source
    assert source is not None
    return Heatmap(
        groups=[
            (group_label(g.id), figures.colour(i), g.size) for i, g in enumerate(pm.result.groups)
        ],
        rows=rows,
        run=run,
        source=Source(**{**source.__dict__, "theme_run_id": run.id}),
    )


# --- phase comparison ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseFigure:
    """A theme in one phase: statements, agreement across groups, common-ground statements."""

    n_statements: int
    agreement: float | None  # mean over statements of the groups' geometric-mean agree share
    n_common_ground: int


@dataclass(frozen=True)
class ThemeMove:
    theme_id: str
    label: str
    status: str  # new / continuing / merged / retired (or "other" for the unthemed bucket)
    detail: str
    before: PhaseFigure | None
    after: PhaseFigure | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        if self.before.agreement is None or self.after.agreement is None:
            return None
        return self.after.agreement - self.before.agreement


@dataclass
class Comparison:
    consultation: Consultation
    before: Phase
    after: Phase
    before_source: Source | None
    after_source: Source | None
    run: ThemeRun | None
    moves: list[ThemeMove]
    phases: list[Phase]
    n_runs: int


def _phase_figures(pm: PhaseMaps, themes: ThemeResult) -> dict[str, PhaseFigure]:
    """Per theme: its statements in the phase and how far every group agrees with them."""
    phase_ids = set(
        db.session.scalars(select(Statement.id).where(Statement.phase_id == pm.phase.id))
    )
    out: dict[str, PhaseFigure] = {}
    ga = agreement(pm) if pm.result is not None else None
    column: dict[int, int] = {}
    typical = None
    if pm.result is not None and ga is not None and len(ga.group_ids):
        st = pm.result.statements
        column = {int(s): j for j, s in enumerate(st.ids.tolist())}
        smoothed = (st.group_agree + 1.0) / (st.group_votes + 2.0)
        typical = np.exp(np.log(smoothed).mean(0))  # geometric mean over groups
        eligible = (st.n_votes > 0) & ~st.moderated_out & ~st.meta
    for theme in themes.themes:
        members = [s for s in theme.statement_ids if s in phase_ids]
        if not members:
            continue
        agreement_value = None
        n_cg = 0
        if typical is not None and ga is not None:
            cols = [column[s] for s in members if s in column and eligible[column[s]]]
            if cols:
                agreement_value = float(typical[cols].mean())
                n_cg = int((ga.label[cols] != "").sum())
        out[theme.id] = PhaseFigure(len(members), agreement_value, n_cg)
    return out


def phase_comparison(slug: str, before: int | None = None, after: int | None = None) -> Comparison:
    """Themes of phase ``before`` against phase ``after`` (default: the last two phases).

    Status of each theme (latest theme run; events of every run of the consultation):
    *continuing* — statements in both phases; *new* — only in the later phase; *retired* — only
    in the earlier phase, or retired by a theme run; *merged* — a theme run or the Support Unit
    (curation log) merged it into another theme, or this theme absorbed others.
    """
    consultation = get_consultation(slug)
    phases = list(consultation.phases)
    if len(phases) < 2:
        raise NotFound(_("this consultation has a single phase: there is nothing to compare"))
    by_position = {p.position: p for p in phases}
    a = by_position.get(before) if before is not None else phases[-2]
    b = by_position.get(after) if after is not None else phases[-1]
    if a is None or b is None or a.position >= b.position:
        raise NotFound(_("choose two phases of this consultation, the earlier one first"))
    runs = list(
        db.session.scalars(
            select(ThemeRun)
            .where(ThemeRun.consultation_id == consultation.id)
            .order_by(ThemeRun.id)
        )
    )
    pa = phase_maps(slug, a.position)
    pb = phase_maps(slug, b.position)
    if not runs:
        return Comparison(consultation, a, b, pa.source, pb.source, None, [], phases, 0)
    results = [ThemeResult.from_dict(r.result()) for r in runs]
    latest = results[-1]
    labels: dict[str, str] = {}
    for res in results:
        for t in res.themes:
            labels[t.id] = t.label
    merged_into: dict[str, str] = {}
    absorbed: dict[str, list[str]] = {}
    retired: set[str] = set()
    for res in results:
        for e in res.events:
            if e.kind == "merged" and e.new_ids:
                target = e.new_ids[0]
                for old in e.old_ids:
                    if old != target:
                        merged_into[old] = target
                        absorbed.setdefault(target, []).append(old)
            elif e.kind == "retired":
                retired.update(e.old_ids)
    curated = db.session.scalars(
        select(ThemeCuration)
        .where(
            ThemeCuration.consultation_id == consultation.id,
            ThemeCuration.kind == CurationKind.MERGE,
        )
        .order_by(ThemeCuration.id)
    )
    for merge in curated:
        keep, *others = [str(t) for t in merge.payload.get("theme_ids", [])]
        for old in others:
            merged_into[old] = keep
            absorbed.setdefault(keep, []).append(old)
    fa, fb = _phase_figures(pa, latest), _phase_figures(pb, latest)
    moves: list[ThemeMove] = []
    current = {t.id for t in latest.themes}
    for theme in latest.themes:
        before_fig, after_fig = fa.get(theme.id), fb.get(theme.id)
        if before_fig is None and after_fig is None:
            continue
        if theme.is_other:
            status, detail = "other", _("statements that fit no theme")
        elif theme.id in absorbed:
            status = "merged"
            names = ", ".join(
                f"“{theme_label_text(labels.get(o, o))}”" for o in dict.fromkeys(absorbed[theme.id])
            )
            detail = _("absorbed %(names)s", names=names)
        elif before_fig is not None and after_fig is not None:
            status, detail = "continuing", ""
        elif after_fig is not None:
            status, detail = "new", _("first raised in phase %(n)d", n=b.position)
        else:
            status, detail = "retired", _("no statement in phase %(n)d", n=b.position)
        moves.append(ThemeMove(theme.id, theme.label, status, detail, before_fig, after_fig))
    for old in sorted(set(merged_into) | retired):
        if old in current:
            continue
        if old in merged_into:
            target = merged_into[old]
            label = theme_label_text(labels.get(target, target))
            detail = _("merged into “%(label)s”", label=label)
            moves.append(ThemeMove(old, labels.get(old, old), "merged", detail, None, None))
        else:
            detail = _("retired by a theme refresh")
            moves.append(ThemeMove(old, labels.get(old, old), "retired", detail, None, None))
    order = {"continuing": 0, "merged": 1, "new": 2, "retired": 3, "other": 4}
    moves.sort(key=lambda m: (m.theme_id == "other", order[m.status], -(m.change or 0.0)))
    return Comparison(consultation, a, b, pa.source, pb.source, runs[-1], moves, phases, len(runs))


# --- index --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseEntry:
    phase: Phase
    snapshot_id: int | None
    age: str | None


def index_entries() -> list[tuple[Consultation, list[PhaseEntry]]]:
    out = []
    for consultation in db.session.scalars(select(Consultation).order_by(Consultation.id)):
        entries = []
        for phase in consultation.phases:
            snap = latest_snapshot(phase.id)
            entries.append(
                PhaseEntry(phase, snap.id if snap else None, snapshot_age(snap) if snap else None)
            )
        out.append((consultation, entries))
    return out
