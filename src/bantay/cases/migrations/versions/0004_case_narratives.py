"""case narratives (every version kept), and the narrative version a decision was made on

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_case_narratives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["web_cases.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["web_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "version"),
    )
    op.create_index(
        op.f("ix_web_case_narratives_case_id"), "web_case_narratives", ["case_id"], unique=False
    )
    op.add_column("web_decisions", sa.Column("narrative_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_decisions") as b:
        b.drop_column("narrative_id")
    op.drop_index(op.f("ix_web_case_narratives_case_id"), table_name="web_case_narratives")
    op.drop_table("web_case_narratives")
