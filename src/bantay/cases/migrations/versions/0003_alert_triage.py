"""triage of alerts without a case: an append-only history of assignments and closings

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_alert_triage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["assignee_id"], ["web_users.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["web_users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_web_alert_triage_alert_id"), "web_alert_triage", ["alert_id"], unique=False
    )
    op.create_index(
        "ix_web_alert_triage_entity", "web_alert_triage", ["side", "entity_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_web_alert_triage_entity", table_name="web_alert_triage")
    op.drop_index(op.f("ix_web_alert_triage_alert_id"), table_name="web_alert_triage")
    op.drop_table("web_alert_triage")
