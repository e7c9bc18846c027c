"""case owners and assignees, decisions that freeze their subject, the closing decision

Revision ID: 0002
Revises: 0001

Existing rows are carried over, none dropped: a case's owner is its creator; its assignee becomes
its first assignee (the old ``assignee_id`` column stays, no longer written); a closed case's
closing decision is its latest, whose subject is the case's members as they are now.
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("web_cases", sa.Column("owner_id", sa.Integer(), nullable=True))
    op.add_column("web_cases", sa.Column("closed_decision_id", sa.Integer(), nullable=True))
    op.add_column(
        "web_decisions", sa.Column("subject", sa.Text(), nullable=False, server_default="[]")
    )
    op.add_column(
        "web_decisions",
        sa.Column("subject_hash", sa.String(length=64), nullable=False, server_default=""),
    )
    op.create_table(
        "web_case_assignees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["added_by"], ["web_users.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["web_cases.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["web_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "user_id"),
    )
    op.create_index(
        op.f("ix_web_case_assignees_case_id"), "web_case_assignees", ["case_id"], unique=False
    )
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE web_cases SET owner_id = created_by"))
    bind.execute(
        sa.text(
            "INSERT INTO web_case_assignees (case_id, user_id, added_by, added_at) "
            "SELECT id, assignee_id, created_by, updated_at FROM web_cases "
            "WHERE assignee_id IS NOT NULL"
        )
    )
    # a decision's subject: the case's members as they are now (the best record there is)
    cases = bind.execute(sa.text("SELECT id, status FROM web_cases")).all()
    for case_id, status in cases:
        members = [
            [str(s), str(e), a]
            for s, e, a in bind.execute(
                sa.text(
                    "SELECT side, entity_id, alert_id FROM web_case_members WHERE case_id = :c "
                    "ORDER BY side, entity_id"
                ),
                {"c": case_id},
            ).all()
        ]
        subject = json.dumps(members, separators=(",", ":"))
        digest = hashlib.sha256(subject.encode()).hexdigest()
        bind.execute(
            sa.text("UPDATE web_decisions SET subject = :s, subject_hash = :h WHERE case_id = :c"),
            {"s": subject, "h": digest, "c": case_id},
        )
        if status == "closed":
            bind.execute(
                sa.text(
                    "UPDATE web_cases SET closed_decision_id = (SELECT max(id) FROM web_decisions "
                    "WHERE case_id = :c) WHERE id = :c"
                ),
                {"c": case_id},
            )


def downgrade() -> None:
    op.drop_index(op.f("ix_web_case_assignees_case_id"), table_name="web_case_assignees")
    op.drop_table("web_case_assignees")
    with op.batch_alter_table("web_decisions") as b:
        b.drop_column("subject_hash")
        b.drop_column("subject")
    with op.batch_alter_table("web_cases") as b:
        b.drop_column("closed_decision_id")
        b.drop_column("owner_id")
