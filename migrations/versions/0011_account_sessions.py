"""Account sessions: a version in every staff session, raised when the account is disabled.

Revision ID: 0011_account_sessions
Revises: 0010_security
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = '0011_account_sessions'
down_revision = '0010_security'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
