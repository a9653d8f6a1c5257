"""The contract's tables: evaluations and evaluation_events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("eval_id", sa.Text, primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("code_hash", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("environment", sa.Text, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("queued_at", TS),
        sa.Column("started_at", TS),
        sa.Column("completed_at", TS),
        sa.Column("exit_code", sa.Integer),
        sa.Column("signal", sa.Integer),
        sa.Column("output", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("output_truncated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("error_truncated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("runtime_ms", sa.Float),
        sa.Column("memory_used_mb", sa.Float),
        sa.Column("engine", sa.Text),
        sa.Column("worker_id", sa.Text),
        sa.Column("timeout", sa.Integer, nullable=False),
        sa.Column("memory_limit", sa.Text),
        sa.Column("cpu_limit", sa.Text),
        sa.Column("expect_failure", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("debug", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(
            "status IN ('submitted','queued','provisioning','running','completed','failed','cancelled')",
            name="ck_evaluations_status"),
    )
    op.create_index("ix_evaluations_status", "evaluations", ["status"])
    op.create_index("ix_evaluations_status_priority_created", "evaluations",
                    ["status", "priority", "created_at"])
    op.create_index("ix_evaluations_created_at", "evaluations", ["created_at"])
    op.create_table(
        "evaluation_events",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("eval_id", sa.Text,
                  sa.ForeignKey("evaluations.eval_id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("detail", JSONB),
    )
    op.create_index("ix_evaluation_events_eval_id", "evaluation_events", ["eval_id"])


def downgrade() -> None:
    op.drop_table("evaluation_events")
    op.drop_table("evaluations")
