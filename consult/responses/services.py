"""Writing the reasoned response: outline versions, responses to themes and statements, settings.

Every change goes through here and leaves a :class:`ResponseChange` (who, when, before → after).
Responses are drafts until published; only published responses go into a phase report, and the
public sees them only when that report is published.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.accounts.models import User
from consult.consultations.models import Phase
from consult.database import utcnow, write_transaction
from consult.errors import InvalidInput, NotFound
from consult.extensions import db
from consult.participation.models import Moderation, Statement
from consult.responses.models import (
    Decision,
    Response,
    ResponseChange,
    ResponseSettings,
    ResponseState,
    StrategyOutline,
)
from consult.responses.outline import Section, parse_sections, validate_outline

RATIONALE_MAX = 5000
SECTION_TITLE_MAX = 200
COMMAND_LINE = "command line"


def actor_name(user: User | None) -> str:
    """How a person appears in the audit trail and in reports: their name, never their e-mail."""
    if user is None:
        return COMMAND_LINE
    return (user.name or "").strip() or f"staff member #{user.id}"


def record_change(
    session: Session,
    phase_id: int,
    subject: str,
    action: str,
    user: User | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    response_id: int | None = None,
) -> ResponseChange:
    """Add one audit-trail entry inside the caller's transaction."""
    change = ResponseChange(
        phase_id=phase_id,
        response_id=response_id,
        subject=subject,
        action=action,
        user_id=user.id if user is not None else None,
        user_name=actor_name(user),
        at=utcnow(),
        before=before,
        after=after,
    )
    session.add(change)
    return change


def audit_trail(phase_id: int) -> list[ResponseChange]:
    """Every change of the phase's reasoned response, newest first."""
    return list(
        db.session.scalars(
            select(ResponseChange)
            .where(ResponseChange.phase_id == phase_id)
            .order_by(ResponseChange.id.desc())
        )
    )


# --- strategy outline --------------------------------------------------------------------------


def latest_outline(phase_id: int) -> StrategyOutline | None:
    return db.session.scalar(
        select(StrategyOutline)
        .where(StrategyOutline.phase_id == phase_id)
        .order_by(StrategyOutline.version.desc())
        .limit(1)
    )


def outline_versions(phase_id: int) -> list[StrategyOutline]:
    return list(
        db.session.scalars(
            select(StrategyOutline)
            .where(StrategyOutline.phase_id == phase_id)
            .order_by(StrategyOutline.version.desc())
        )
    )


def outline_sections(phase_id: int) -> list[Section]:
    outline = latest_outline(phase_id)
    return parse_sections(outline.markdown) if outline else []


def save_outline(phase: Phase, markdown: object, user: User | None) -> StrategyOutline:
    """Store the outline as a new version (the same text as the latest version stores nothing)."""
    try:
        text = validate_outline(markdown)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="markdown") from None
    with write_transaction(db.session) as session:
        latest = latest_outline(phase.id)
        if latest is not None and latest.markdown == text:
            return latest
        outline = StrategyOutline(
            phase_id=phase.id,
            version=(latest.version + 1) if latest else 1,
            markdown=text,
            created_by_id=user.id if user else None,
        )
        session.add(outline)
        record_change(
            session,
            phase.id,
            "strategy outline",
            "new version",
            user,
            before=_outline_summary(latest),
            after={
                "version": outline.version,
                "sections": [s.title for s in parse_sections(text)],
            },
        )
    return outline


def _outline_summary(outline: StrategyOutline | None) -> dict[str, Any] | None:
    if outline is None:
        return None
    return {
        "version": outline.version,
        "sections": [s.title for s in parse_sections(outline.markdown)],
    }


def add_section(phase: Phase, title: object, body: object, user: User | None) -> StrategyOutline:
    """Append one section (a level-2 heading and its text) to the outline, as a new version."""
    if not isinstance(title, str) or not " ".join(title.split()):
        raise InvalidInput(gettext("the section needs a title"), field="title")
    title = " ".join(title.split())
    if len(title) > SECTION_TITLE_MAX:
        raise InvalidInput(
            gettext(
                "the title has %(n)d characters; at most %(max)d",
                n=len(title),
                max=SECTION_TITLE_MAX,
            ),
            field="title",
        )
    body_text = body.strip() if isinstance(body, str) else ""
    latest = latest_outline(phase.id)
    head = latest.markdown.rstrip("\n") + "\n\n" if latest else ""
    return save_outline(phase, f"{head}## {title}\n\n{body_text}".rstrip() + "\n", user)


# --- settings ----------------------------------------------------------------------------------


def settings_for(phase_id: int) -> ResponseSettings:
    """The phase's settings (the defaults, unsaved, until the Support Unit changes them)."""
    found = db.session.scalar(select(ResponseSettings).where(ResponseSettings.phase_id == phase_id))
    return found or ResponseSettings(phase_id=phase_id, min_theme_size=3, min_sign_offs=1)


def _bounded_int(value: object, name: str, label: str, low: int, high: int) -> int:
    if name == "min_theme_size":
        not_whole = gettext("The theme size must be a whole number")
        outside = gettext("The theme size must be between %(low)d and %(high)d")
    else:
        not_whole = gettext("The number of sign-offs must be a whole number")
        outside = gettext("The number of sign-offs must be between %(low)d and %(high)d")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(not_whole, field=name) from None
    if not low <= number <= high:
        raise InvalidInput(outside % {"low": low, "high": high}, field=name)
    return number


def update_settings(
    phase: Phase, min_theme_size: object, min_sign_offs: object, user: User | None
) -> ResponseSettings:
    size = _bounded_int(min_theme_size, "min_theme_size", "The theme size", 1, 100_000)
    signs = _bounded_int(min_sign_offs, "min_sign_offs", "The number of sign-offs", 1, 50)
    with write_transaction(db.session) as session:
        settings = session.scalar(
            select(ResponseSettings).where(ResponseSettings.phase_id == phase.id)
        )
        before = (
            {"min_theme_size": settings.min_theme_size, "min_sign_offs": settings.min_sign_offs}
            if settings
            else {"min_theme_size": 3, "min_sign_offs": 1}
        )
        if settings is None:
            settings = ResponseSettings(phase_id=phase.id)
            session.add(settings)
        settings.min_theme_size, settings.min_sign_offs = size, signs
        settings.updated_at = utcnow()
        after = {"min_theme_size": size, "min_sign_offs": signs}
        if after != before:
            record_change(
                session, phase.id, "settings", "changed", user, before=before, after=after
            )
    return settings


# --- responses ---------------------------------------------------------------------------------


def responses_for(phase_id: int) -> list[Response]:
    return list(
        db.session.scalars(
            select(Response).where(Response.phase_id == phase_id).order_by(Response.id)
        )
    )


def theme_responses(phase_id: int) -> dict[str, Response]:
    return {r.theme_id: r for r in responses_for(phase_id) if r.theme_id is not None}


def statement_responses(phase_id: int) -> dict[int, Response]:
    return {r.statement_id: r for r in responses_for(phase_id) if r.statement_id is not None}


def get_response(phase_id: int, response_id: int) -> Response:
    response = db.session.get(Response, response_id)
    if response is None or response.phase_id != phase_id:
        raise NotFound(gettext("no response %(id)d in this phase", id=response_id))
    return response


def parse_decision(value: object) -> Decision:
    try:
        return Decision(str(value))
    except ValueError:
        allowed = ", ".join(d.label.lower() for d in Decision)
        message = gettext("choose a decision: %(allowed)s", allowed=allowed)
        raise InvalidInput(message, field="decision") from None


def save_response(
    phase: Phase,
    user: User | None,
    *,
    decision: object,
    rationale: object = "",
    section_keys: Collection[str] = (),
    publish: bool = False,
    theme_id: str | None = None,
    statement_id: int | None = None,
    known_theme_ids: Collection[str] = (),
) -> Response:
    """Create or change the response to a theme (one of ``known_theme_ids``) or a statement.

    The rationale is required except for "adopted"; every linked section must be in the latest
    strategy outline. ``publish`` makes the response final (it goes into the report); saving
    without it keeps (or turns) the response a draft.
    """
    if (theme_id is None) == (statement_id is None):
        raise InvalidInput(gettext("a response answers either a theme or a statement"))
    if theme_id is not None and theme_id not in known_theme_ids:
        message = gettext("this phase has no theme %(id)s", id=repr(theme_id))
        raise InvalidInput(message, field="theme_id")
    if statement_id is not None:
        statement = db.session.get(Statement, statement_id)
        if statement is None or statement.phase_id != phase.id:
            message = gettext("this phase has no statement %(id)d", id=statement_id)
            raise InvalidInput(message, field="statement_id")
        if statement.moderation != Moderation.ACCEPTED:
            if statement.moderation == Moderation.REJECTED:
                message = gettext(
                    "statement %(id)d is rejected: only accepted statements get a response",
                    id=statement_id,
                )
            else:
                message = gettext(
                    "statement %(id)d is pending: only accepted statements get a response",
                    id=statement_id,
                )
            raise InvalidInput(message, field="statement_id")
    choice = parse_decision(decision)
    text = rationale.strip() if isinstance(rationale, str) else ""
    text = text.replace("\r\n", "\n")
    if choice != Decision.ADOPTED and not text:
        raise InvalidInput(
            gettext(
                "explain why: a rationale is required when the decision is “%(decision)s”",
                decision=choice.label.lower(),
            ),
            field="rationale",
        )
    if len(text) > RATIONALE_MAX:
        raise InvalidInput(
            gettext(
                "the rationale has %(n)s characters; at most %(max)s",
                n=len(text),
                max=RATIONALE_MAX,
            ),
            field="rationale",
        )
    known_sections = {s.key for s in outline_sections(phase.id)}
    keys = list(dict.fromkeys(str(k) for k in section_keys))
    unknown = [k for k in keys if k not in known_sections]
    if unknown:
        raise InvalidInput(
            gettext("not in the latest strategy outline: %(keys)s", keys=", ".join(unknown)),
            field="sections",
        )
    state = ResponseState.PUBLISHED if publish else ResponseState.DRAFT
    with write_transaction(db.session) as session:
        query = select(Response).where(Response.phase_id == phase.id)
        query = query.where(
            Response.theme_id == theme_id
            if theme_id is not None
            else Response.statement_id == statement_id
        )
        response = session.scalar(query)
        before = response.fields() if response is not None else None
        now = utcnow()
        if response is None:
            response = Response(
                phase_id=phase.id, theme_id=theme_id, statement_id=statement_id, created_at=now
            )
            session.add(response)
        content_changed = before is None or (
            before["decision"] != choice.value
            or before["rationale"] != text
            or before["sections"] != keys
        )
        response.decision, response.rationale, response.section_keys = choice, text, keys
        response.state = state
        after = response.fields()
        if after == before:
            return response
        if content_changed:
            response.answered_by_id = user.id if user else None
            response.answered_by_name = actor_name(user)
        response.updated_at = now
        if state == ResponseState.PUBLISHED and (before is None or before["state"] != "published"):
            response.published_at = now
        session.flush()
        record_change(
            session,
            phase.id,
            response.subject,
            _action(before, after),
            user,
            before=_changed(before, after, side="before"),
            after=_changed(before, after, side="after"),
            response_id=response.id,
        )
    return response


def withdraw_response(response: Response, user: User | None) -> Response:
    """Turn a published response back into a draft (it leaves the next report)."""
    if response.state == ResponseState.DRAFT:
        return response
    with write_transaction(db.session) as session:
        before = response.fields()
        response.state = ResponseState.DRAFT
        response.updated_at = utcnow()
        record_change(
            session,
            response.phase_id,
            response.subject,
            "withdrawn",
            user,
            before={"state": before["state"]},
            after={"state": "draft"},
            response_id=response.id,
        )
    return response


def _action(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    if before is None:
        return "published" if after["state"] == "published" else "drafted"
    content = any(before[k] != after[k] for k in ("decision", "rationale", "sections"))
    if before["state"] != after["state"]:
        verb = "published" if after["state"] == "published" else "withdrawn"
        return f"edited and {verb}" if content else verb
    return "edited"


def _changed(
    before: dict[str, Any] | None, after: dict[str, Any], *, side: str
) -> dict[str, Any] | None:
    """Only the fields that changed (all of them for a new response)."""
    if before is None:
        return None if side == "before" else after
    source = before if side == "before" else after
    return {k: source[k] for k in after if before.get(k) != after[k]}
