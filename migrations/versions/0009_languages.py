"""Languages: consultation and phase titles per language, statement translations.

Revision ID: 0009_languages
Revises: 0008_reasoned_responses
Create Date: 2026-11-25 16:29:33.026839
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_languages"
down_revision = "0008_reasoned_responses"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "statement_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_by_role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["users.id"],
            name=op.f("fk_statement_translations_entered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_statement_translations_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_translations")),
        sa.UniqueConstraint(
            "statement_id", "language", name=op.f("uq_statement_translations_statement_id_language")
        ),
    )
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )

    with op.batch_alter_table("phases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("translations", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("phases", schema=None) as batch_op:
        batch_op.drop_column("translations")

    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.drop_column("translations")

    op.drop_table("statement_translations")
