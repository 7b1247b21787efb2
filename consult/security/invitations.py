"""Invitation-only consultations: only participants whose xid is on the list may take part.

An xid is an external identifier: an invitation code the Support Unit hands out, or a member id
from an embedding site. With ``CONSULT_XID_SECRET`` set, an xid must come with
``xid_signature`` = hex HMAC-SHA256(secret, xid), so only the embedding site can name someone.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, not_, or_, select

from consult.consultations.models import Consultation, Phase
from consult.database import utcnow, write_transaction
from consult.errors import ConsultError, InvalidInput
from consult.extensions import db
from consult.participation.models import Participant
from consult.security.models import Invitation, InvitationList

MAX_XIDS = 10_000
XID_RE = re.compile(r"^[^\s]{1,255}$")


class NotInvited(ConsultError):
    """The consultation takes input from invited participants only (HTTP 403)."""

    status = 403


class BadSignature(ConsultError):
    status = 403


def xid_signature(secret: str, xid: str) -> str:
    return hmac.new(secret.encode(), xid.encode(), hashlib.sha256).hexdigest()


def check_xid(xid: str, signature: object) -> None:
    """Refuse an xid without the embedding site's signature when a secret is configured."""
    secret = current_app.config.get("CONSULT_XID_SECRET")
    if not secret:
        return
    if not isinstance(signature, str) or not hmac.compare_digest(
        signature.lower(), xid_signature(secret, xid)
    ):
        raise BadSignature(
            _("xid_signature does not match this xid (HMAC-SHA256 of the xid, in hex)"),
            field="xid_signature",
        )


def invite_only(consultation_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(InvitationList.enabled).where(InvitationList.consultation_id == consultation_id)
        )
    )


def is_invited(consultation_id: int, xid: str | None) -> bool:
    if not xid:
        return False
    return (
        db.session.scalar(
            select(Invitation.id).where(
                Invitation.consultation_id == consultation_id, Invitation.xid == xid
            )
        )
        is not None
    )


def may_take_part(consultation_id: int, participant: Participant | None) -> bool:
    if not invite_only(consultation_id):
        return True
    return participant is not None and is_invited(consultation_id, participant.xid)


def vote_condition():
    """SQL condition (correlated with Phase and Participant) for the single-statement vote path."""
    listed = exists(
        select(InvitationList.consultation_id).where(
            InvitationList.consultation_id == Phase.consultation_id,
            InvitationList.enabled.is_(True),
        )
    )
    invited = exists(
        select(Invitation.id).where(
            Invitation.consultation_id == Phase.consultation_id,
            Invitation.xid == Participant.xid,
        )
    )
    return or_(not_(listed), and_(Participant.xid.is_not(None), invited))


def require_invited(phase: Phase, participant: Participant | None) -> None:
    if not may_take_part(phase.consultation_id, participant):
        raise NotInvited(
            _(
                "This consultation is open to invited participants only. Use the link or "
                "the invitation code you received."
            )
        )


def parse_xids(text: str) -> list[str]:
    """One xid per line (or separated by commas); blank lines ignored; refuses bad ones."""
    xids = []
    for n, raw in enumerate(re.split(r"[\n,]", text or ""), start=1):
        xid = raw.strip()
        if not xid:
            continue
        if not XID_RE.match(xid):
            raise InvalidInput(
                _("Entry %(n)d is not a valid xid (1 to 255 characters, no spaces).", n=n),
                field="xids",
            )
        xids.append(xid)
    if len(xids) > MAX_XIDS:
        raise InvalidInput(_("At most %(max)d xids at once.", max=MAX_XIDS), field="xids")
    return list(dict.fromkeys(xids))


def set_invite_only(consultation: Consultation, enabled: bool) -> None:
    with write_transaction(db.session) as session:
        row = session.get(InvitationList, consultation.id)
        if row is None:
            session.add(InvitationList(consultation_id=consultation.id, enabled=enabled))
        else:
            row.enabled = enabled
            row.updated_at = utcnow()


def add_invitations(consultation: Consultation, xids: list[str]) -> int:
    """Invite these xids; returns how many were new."""
    with write_transaction(db.session) as session:
        known = set(
            session.scalars(
                select(Invitation.xid).where(Invitation.consultation_id == consultation.id)
            )
        )
        fresh = [x for x in xids if x not in known]
        session.add_all([Invitation(consultation_id=consultation.id, xid=x) for x in fresh])
    return len(fresh)


def remove_invitations(consultation: Consultation, xids: list[str]) -> int:
    with write_transaction(db.session) as session:
        result = session.execute(
            delete(Invitation).where(
                Invitation.consultation_id == consultation.id, Invitation.xid.in_(xids)
            )
        )
    return result.rowcount or 0


def invitations(consultation: Consultation) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.consultation_id == consultation.id)
            .order_by(Invitation.xid)
        )
    )


def join(consultation: Consultation, xid: str, signature: object = None) -> tuple[Participant, str]:
    """A browser joins an invitation-only consultation with its xid: (participant, new token)."""
    from consult.participation.services import create_participant

    xid = (xid or "").strip()
    if not XID_RE.match(xid):
        raise InvalidInput(_("Enter the invitation code you received."), field="xid")
    check_xid(xid, signature)
    if not is_invited(consultation.id, xid):
        raise NotInvited(_("This invitation code is not valid for this consultation."))
    return create_participant(xid)
