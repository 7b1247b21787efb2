"""The report document: figures from the frozen record plus the published reasoned response.

A document is plain JSON. Its *body* (everything a Steering Committee member approves) is hashed;
a published version adds the sign-offs and the version number. HTML, PDF, JSON and CSV are all
rendered from the document alone, so building twice gives the same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from consult.reports.figures import compute_figures
from consult.reports.records import FrozenRecord, canonical_json
from consult.responses.models import DECISION_LABELS, Decision
from consult.responses.outline import Section

DOCUMENT_FORMAT = "consult-phase-report/1"


@dataclass(frozen=True)
class ResponseInput:
    """A published response as the report shows it."""

    decision: str
    rationale: str
    section_keys: tuple[str, ...]
    answered_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "decision_label": DECISION_LABELS[Decision(self.decision)],
            "rationale": self.rationale,
            "sections": list(self.section_keys),
            "answered_by": self.answered_by,
        }


def build_body(
    record: FrozenRecord,
    *,
    theme_responses: dict[str, ResponseInput],
    statement_responses: dict[int, ResponseInput],
    outline_version: int | None,
    sections: list[Section],
    min_theme_size: int,
    min_sign_offs: int,
    figures: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report body: what is signed off. Contains no time of building.

    ``figures`` defaults to :func:`compute_figures` of the record (pass a cached copy to save the
    computation on large phases).
    """
    figures = compute_figures(record) if figures is None else figures
    theme_ids = {t["id"] for t in figures["themes"]}
    statement_ids = {row["id"] for row in figures["statements"]}
    payload = record.payload
    analysis = payload["analysis"]
    themes = payload.get("themes") or {}
    return {
        "format": DOCUMENT_FORMAT,
        "consultation": dict(payload["consultation"]),
        "phase": {
            "position": payload["phase"]["position"],
            "title": payload["phase"]["title"],
            "purpose": payload["phase"]["purpose"],
        },
        "record": {
            "content_hash": record.content_hash,
            "closed_at": payload.get("closed_at"),
            "analysis_snapshot_id": analysis["snapshot_id"],
            "analysis_inputs_hash": analysis["inputs_hash"],
            "theme_run_id": themes.get("run_id"),
            "notes_available": payload.get("notes_available", False),
        },
        "requirements": {"min_theme_size": min_theme_size, "min_sign_offs": min_sign_offs},
        "figures": figures,
        "responses": {
            "themes": {
                tid: r.to_dict() for tid, r in sorted(theme_responses.items()) if tid in theme_ids
            },
            "statements": {
                str(sid): r.to_dict()
                for sid, r in sorted(statement_responses.items())
                if sid in statement_ids
            },
        },
        "strategy": {
            "version": outline_version,
            "sections": [section.to_dict() for section in sections],
        },
    }


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


def complete(
    body: dict[str, Any],
    *,
    sign_offs: list[dict[str, str]],
    version: int | None,
    published_at: str | None,
) -> dict[str, Any]:
    """The full document: the body with its hash, the sign-offs and the publication."""
    return {
        **body,
        "body_hash": body_hash(body),
        "sign_offs": sign_offs,
        "publication": {"version": version, "published_at": published_at} if version else None,
    }


def split_body(document: dict[str, Any]) -> dict[str, Any]:
    """The body of a complete document (what its ``body_hash`` covers)."""
    return {k: v for k, v in document.items() if k not in ("body_hash", "sign_offs", "publication")}


def disposition(document: dict[str, Any], statement_id: int) -> dict[str, Any] | None:
    """What the report says became of one statement: theme, decision and the response's scope.

    None when the statement is not in the report. ``responded`` is "statement" when the Support
    Unit answered this statement itself, "theme" when the answer to its theme applies, or None.
    """
    row = next((r for r in document["figures"]["statements"] if r["id"] == statement_id), None)
    if row is None:
        return None
    theme = next((t for t in document["figures"]["themes"] if t["id"] == row["theme_id"]), None)
    responses = document["responses"]
    response = responses["statements"].get(str(statement_id))
    scope = "statement" if response else None
    if response is None and theme is not None:
        response = responses["themes"].get(theme["id"])
        scope = "theme" if response else None
    titles = {s["key"]: s["title"] for s in document["strategy"]["sections"]}
    return {
        "statement": row,
        "theme": {"id": theme["id"], "label": theme["label"]} if theme else None,
        "response": response,
        "responded": scope,
        "sections": [
            {"key": key, "title": titles.get(key, key)}
            for key in (response["sections"] if response else [])
        ],
    }
