"""The contract's two tables as SQLAlchemy 2 models.

`evaluations` holds one row per evaluation with the record's fields; `evaluation_events`
one row per status change, so a timeline can be read back (diagnose) and a move is
provably recorded once. The migrations in migrations/versions create exactly these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer,
                        Text, func)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Evaluation(Base):
    __tablename__ = "evaluations"

    # Text, not uuid: an id a client made up must read as "unknown" (404), not a type error.
    eval_id: Mapped[str] = mapped_column(Text, primary_key=True)
    code: Mapped[str] = mapped_column(Text)
    code_hash: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(Text, default="python")
    environment: Mapped[str] = mapped_column(Text, default="python")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(Text)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    queued_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    exit_code: Mapped[Optional[int]] = mapped_column(Integer)
    signal: Mapped[Optional[int]] = mapped_column(Integer)
    output: Mapped[Optional[str]] = mapped_column(Text)
    error: Mapped[Optional[str]] = mapped_column(Text)
    output_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    error_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    runtime_ms: Mapped[Optional[float]] = mapped_column(Float)
    memory_used_mb: Mapped[Optional[float]] = mapped_column(Float)
    engine: Mapped[Optional[str]] = mapped_column(Text)
    worker_id: Mapped[Optional[str]] = mapped_column(Text)
    timeout: Mapped[int] = mapped_column(Integer)       # always given: store.create_evaluation
    memory_limit: Mapped[Optional[str]] = mapped_column(Text)
    cpu_limit: Mapped[Optional[str]] = mapped_column(Text)
    expect_failure: Mapped[bool] = mapped_column(Boolean, default=False)
    debug: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # `metadata` is reserved on declarative classes; the column keeps the contract's name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        Index("ix_evaluations_status", "status"),
        Index("ix_evaluations_status_priority_created", "status", "priority", "created_at"),
        Index("ix_evaluations_created_at", "created_at"),
    )


class EvaluationEvent(Base):
    __tablename__ = "evaluation_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    eval_id: Mapped[str] = mapped_column(
        Text, ForeignKey("evaluations.eval_id", ondelete="CASCADE"), index=True)
    from_status: Mapped[Optional[str]] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    detail: Mapped[Optional[dict[str, Any]]] = mapped_column(JSONB)
