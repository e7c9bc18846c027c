"""payments added to or removed from a case's evidence, and the choice a decision was made on

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_case_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("institution", sa.String(length=100), nullable=False),
        sa.Column("transaction_id", sa.String(length=200), nullable=False),
        sa.Column("included", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["web_cases.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["web_users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_web_case_evidence_case_id"), "web_case_evidence", ["case_id"], unique=False
    )
    op.add_column("web_decisions", sa.Column("evidence_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_decisions") as b:
        b.drop_column("evidence_id")
    op.drop_index(op.f("ix_web_case_evidence_case_id"), table_name="web_case_evidence")
    op.drop_table("web_case_evidence")
