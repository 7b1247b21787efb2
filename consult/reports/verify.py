"""``consult report verify``: recompute every figure from the frozen record and compare.

Checks, in order (each one named in the output):

1. **record hash** — the stored record still has the content hash it was frozen with.
2. **votes → analysis** — the record's vote arrays give the analysis snapshot's inputs hash, so
   the snapshot was computed from exactly these votes.
3. **analysis statistics** — the snapshot's counts, per-group counts, group sizes, consensus
   scores, divisiveness, representative statements, consensus, divisive and uncertainty lists
   equal a recomputation from the votes and the frozen group membership.
4. For each published version: **report record** (it names this record's hash), **report body
   hash** (the stored document still hashes to what was signed and published), **sign-offs** (the
   names and times in the document are the recorded ones) and **report figures** (every figure
   equals :func:`consult.reports.figures.compute_figures` of the record, value by value).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from consult.consultations.models import Phase
from consult.extensions import db
from consult.reports.document import body_hash, split_body
from consult.reports.figures import StatisticsInputs, compute_figures
from consult.reports.models import PhaseRecord, PhaseReport
from consult.reports.records import FrozenRecord, RecordError, iso, load_record
from consult.reports.services import load_document, published_reports, sign_offs_for

MAX_LISTED = 20


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass
class Verification:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, problems: list[str], detail: str = "") -> Check:
        check = Check(name, not problems, detail, problems)
        self.checks.append(check)
        return check


def differences(expected: Any, actual: Any, path: str = "") -> Iterator[str]:
    """Paths where two JSON values differ ("figures.themes[2].agree_share: 0.61 ≠ 0.71")."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                yield f"{where}: missing from the report"
            elif key not in expected:
                yield f"{where}: in the report but not recomputed"
            else:
                yield from differences(expected[key], actual[key], where)
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            yield f"{path}: {len(actual)} items in the report, {len(expected)} recomputed"
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            yield from differences(e, a, f"{path}[{i}]")
    elif type(expected) is not type(actual) or expected != actual:
        yield f"{path}: report says {actual!r}, recomputed {expected!r}"


def _array_problems(name: str, stored: np.ndarray, fresh: np.ndarray) -> list[str]:
    stored, fresh = np.asarray(stored), np.asarray(fresh)
    if stored.shape != fresh.shape:
        return [f"{name}: shape {stored.shape} stored, {fresh.shape} recomputed"]
    if stored.dtype.kind == "f" or fresh.dtype.kind == "f":
        bad = ~np.isclose(stored.astype(float), fresh.astype(float), rtol=1e-9, atol=1e-12)
    else:
        bad = stored != fresh
    if not bad.any():
        return []
    where = np.argwhere(bad)[:3].tolist()
    return [f"{name}: {int(bad.sum())} values differ (first at {where})"]


def _analysis_problems(record: FrozenRecord) -> list[str]:
    fresh = StatisticsInputs(record)
    result = fresh.analysis
    st = result.statements
    problems: list[str] = []
    if not np.array_equal(st.ids, fresh.matrix.statement_ids):
        return ["statement ids of the snapshot differ from the record's statements"]
    for name, value in (
        ("n_agree", fresh.n_agree),
        ("n_disagree", fresh.n_disagree),
        ("n_pass", fresh.n_pass),
        ("n_votes", fresh.n_votes),
        ("group_agree", fresh.counts.agree),
        ("group_disagree", fresh.counts.disagree),
        ("group_votes", fresh.counts.votes),
        ("group_informed_consensus", fresh.gic_agree),
        ("group_informed_consensus_disagree", fresh.gic_disagree),
        ("divisiveness", fresh.divisiveness),
    ):
        problems += _array_problems(f"statements.{name}", getattr(st, name), value)
    sids = fresh.matrix.statement_ids
    for i, group in enumerate(result.groups):
        if group.size != int(fresh.sizes[i]):
            problems.append(f"group {group.id}: size {group.size} stored, {fresh.sizes[i]} counted")
        stored = [(r.statement_id, r.direction) for r in group.representative]
        again = [(int(sids[r["column"]]), r["direction"]) for r in fresh.representative[i]]
        if stored != again:
            problems.append(f"group {group.id}: representative statements {stored} ≠ {again}")
    for direction, stored_list in (
        ("agree", result.consensus_agree),
        ("disagree", result.consensus_disagree),
    ):
        stored = [c.statement_id for c in stored_list]
        again = [int(sids[c["column"]]) for c in fresh.consensus[direction]]
        if stored != again:
            problems.append(f"consensus ({direction}): {stored} stored, {again} recomputed")
    stored = [d.statement_id for d in result.divisive]
    again = [int(sids[d["column"]]) for d in fresh.divisive]
    if stored != again:
        problems.append(f"divisive list: {stored} stored, {again} recomputed")
    stored = [u.statement_id for u in result.uncertainty]
    again = [int(sids[u["column"]]) for u in fresh.uncertain]
    if stored != again:
        problems.append(f"uncertainty list: {stored} stored, {again} recomputed")
    return problems


def verify_record(row: PhaseRecord, out: Verification) -> FrozenRecord | None:
    """Checks 1–3 on one record; returns the record when it could be read."""
    try:
        record = load_record(row, check=False)
    except RecordError as exc:
        out.add("record hash", [str(exc)])
        return None
    problems = []
    if record.content_hash != row.content_hash:
        problems.append(
            f"record {row.id} content hashes to {record.content_hash}, but {row.content_hash} "
            "was stored when the phase closed"
        )
    out.add("record hash", problems, row.content_hash)
    analysis = record.payload.get("analysis") or {}
    digest = record.phase_votes().digest()
    out.add(
        "votes → analysis",
        []
        if digest == analysis.get("inputs_hash")
        else [
            f"the record's votes hash to {digest}, the snapshot to {analysis.get('inputs_hash')}"
        ],
        f"{len(record.values)} votes",
    )
    out.add("analysis statistics", _analysis_problems(record))
    return record


def verify_report(report: PhaseReport, record: FrozenRecord, out: Verification) -> None:
    label = f"version {report.version}"
    document = load_document(report)
    stored_hash = document.get("record", {}).get("content_hash")
    out.add(
        f"{label}: report record",
        []
        if stored_hash == record.content_hash
        else [f"the report names record {stored_hash}, the record is {record.content_hash}"],
    )
    digest = body_hash(split_body(document))
    problems = []
    if digest != report.body_hash:
        problems.append(f"the document hashes to {digest}, {report.body_hash} was published")
    if document.get("body_hash") != report.body_hash:
        problems.append(f"the document states body hash {document.get('body_hash')}")
    out.add(f"{label}: report body hash", problems, report.body_hash)
    recorded = sorted(
        (s.name, iso(s.signed_at))
        for s in sign_offs_for(report.phase_id, report.record_id)
        if s.body_hash == report.body_hash
    )
    listed = sorted((s["name"], s["signed_at"]) for s in document.get("sign_offs", []))
    out.add(
        f"{label}: sign-offs",
        [] if recorded == listed else [f"the report lists {listed}, the records hold {recorded}"],
        f"{len(listed)} sign-off{'s' if len(listed) != 1 else ''}",
    )
    problems = list(differences(compute_figures(record), document.get("figures"), "figures"))
    if len(problems) > MAX_LISTED:
        problems = problems[:MAX_LISTED] + [f"… and {len(problems) - MAX_LISTED} more"]
    count = _count_values(document.get("figures"))
    out.add(f"{label}: report figures", problems, f"{count} values")


def _count_values(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_count_values(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_values(v) for v in value)
    return 1


def verify_phase(phase: Phase, version: int | None = None) -> Verification:
    """Every check on the phase's records and published reports (or one version)."""
    out = Verification()
    reports = published_reports(phase.id)
    if version is not None:
        reports = [r for r in reports if r.version == version]
        if not reports:
            out.add(f"version {version}", [f"phase {phase.position} has no version {version}"])
            return out
    from consult.reports.records import latest_record

    rows: dict[int, PhaseRecord] = {}
    latest = latest_record(phase.id)
    if latest is not None and version is None:
        rows[latest.id] = latest
    for report in reports:
        rows.setdefault(report.record_id, db.session.get(PhaseRecord, report.record_id))
    if not rows:
        out.add("record", [f"phase {phase.position} has no frozen record: it was never closed"])
        return out
    records = {rid: verify_record(row, out) for rid, row in sorted(rows.items())}
    for report in sorted(reports, key=lambda r: r.version):
        record = records.get(report.record_id)
        if record is not None:
            verify_report(report, record, out)
    return out
