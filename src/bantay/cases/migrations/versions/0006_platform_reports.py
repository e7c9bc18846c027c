"""platforms (their tokens) and the user reports they send; reports put into cases

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_platforms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "web_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("platform_report_id", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("reported_user_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["web_platforms.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform_id", "platform_report_id"),
    )
    op.create_index(op.f("ix_web_reports_category"), "web_reports", ["category"], unique=False)
    op.create_index(
        op.f("ix_web_reports_received_at"), "web_reports", ["received_at"], unique=False
    )
    op.create_index(
        "ix_web_reports_account", "web_reports", ["platform_id", "reported_user_id"], unique=False
    )
    op.create_table(
        "web_case_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["web_cases.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["web_reports.id"]),
        sa.ForeignKeyConstraint(["added_by"], ["web_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "report_id"),
    )
    op.create_index(
        op.f("ix_web_case_reports_case_id"), "web_case_reports", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_web_case_reports_case_id"), table_name="web_case_reports")
    op.drop_table("web_case_reports")
    op.drop_index("ix_web_reports_account", table_name="web_reports")
    op.drop_index(op.f("ix_web_reports_received_at"), table_name="web_reports")
    op.drop_index(op.f("ix_web_reports_category"), table_name="web_reports")
    op.drop_table("web_reports")
    op.drop_table("web_platforms")
