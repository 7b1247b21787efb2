"""Security: append-only audit log (triggers refuse UPDATE/DELETE), invitations, quarantines.

Revision ID: 0010_security
Revises: 0009_languages
Create Date: 2026-11-25 17:14:11.711366
"""

import sqlalchemy as sa
from alembic import op

# The audit log is append-only: the database itself refuses to change or remove an entry.
SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END",
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]

revision = "0010_security"
down_revision = "0009_languages"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("action", sa.String(length=120), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)

    op.create_table(
        "invitation_lists",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_invitation_lists_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consultation_id", name=op.f("pk_invitation_lists")),
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("xid", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_invitations_consultation_id_consultations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint(
            "consultation_id", "xid", name=op.f("uq_invitations_consultation_id_xid")
        ),
    )
    op.create_table(
        "quarantines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("burst", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("quarantined_by_id", sa.Integer(), nullable=True),
        sa.Column("quarantined_at", sa.DateTime(), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_quarantines_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["phase_id"],
            ["phases.id"],
            name=op.f("fk_quarantines_phase_id_phases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["quarantined_by_id"],
            ["users.id"],
            name=op.f("fk_quarantines_quarantined_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"],
            ["users.id"],
            name=op.f("fk_quarantines_released_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantines")),
        sa.UniqueConstraint(
            "phase_id", "participant_id", name=op.f("uq_quarantines_phase_id_participant_id")
        ),
    )
    with op.batch_alter_table("quarantines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quarantines_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_quarantines_phase_id"), ["phase_id"], unique=False)


def downgrade():
    with op.batch_alter_table("quarantines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantines_phase_id"))
        batch_op.drop_index(batch_op.f("ix_quarantines_participant_id"))

    op.drop_table("quarantines")
    op.drop_table("invitations")
    op.drop_table("invitation_lists")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_at")
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
