"""The platform's PostgreSQL database (the only module that knows its table names), read
in the target's dialect (support/dialects: which columns hold the id and the events).

Read-only queries of the contract's tables (`evaluations`, `evaluation_events`) check
what the platform recorded. The one write is `store_evaluation`: a queued row of the
suite's own, marked in its metadata, for the Celery scenarios to send by name.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Engine,
    Integer,
    MetaData,
    Numeric,
    Table,
    create_engine,
    inspect,
    text,
)
from sqlalchemy.engine import make_url

from support.dialects import CONTRACT, Dialect

EVALUATIONS = "evaluations"


def engine_for(url: str) -> Engine:
    """An engine for a DATABASE_URL; a bare `postgresql://` URL is read with psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_size=4, max_overflow=8, pool_pre_ping=True,
                         connect_args={"connect_timeout": 5})


class Database:
    def __init__(self, url: str, *, dialect: Dialect = CONTRACT):
        self.engine = engine_for(url)
        self.dialect = dialect

    def close(self) -> None:
        self.engine.dispose()

    def server_version(self) -> str:
        with self.engine.connect() as conn:
            return conn.execute(text("SHOW server_version")).scalar_one()

    def select_one(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar_one()

    # -- the platform's records (read-only) -------------------------------------------

    def tables(self) -> set[str]:
        return set(inspect(self.engine).get_table_names())

    def columns(self, table: str) -> set[str]:
        return {c["name"] for c in inspect(self.engine).get_columns(table)}

    def events(self, eval_id: str) -> list[dict]:
        """The evaluation's status changes, oldest first, as {from_status, to_status,
        reason, at} (None where the dialect's table records no such column)."""
        events = self.dialect.events
        tiebreak = events.tiebreak is not None and events.tiebreak in self.columns(events.table)
        with self.engine.connect() as conn:
            rows = conn.execute(text(events.select(tiebreak)), {"eval_id": eval_id}).mappings().all()
        return [dict(r) for r in rows]

    def store_evaluation(self, code: str) -> str:
        """Insert a queued evaluation that no worker was told about; return its id.

        The one write to a platform table: a new row of the suite's own (marked in its
        metadata), so that a task sent by name through the broker has something to run.
        Columns beyond the contract's are filled with their type's zero value.
        """
        table = Table(EVALUATIONS, MetaData(), autoload_with=self.engine)
        now = datetime.now(timezone.utc)
        eval_id = self.dialect.new_id()
        row: dict[str, Any] = {
            self.dialect.evaluations_id_column: eval_id, "code": code, "code_hash": hashlib.sha256(code.encode()).hexdigest(),
            "language": "python", "environment": "python", "priority": 0, "status": "queued",
            "created_at": now, "queued_at": now, "timeout": 30, "expect_failure": False, "debug": False,
            "output_truncated": False, "error_truncated": False,
            "metadata": {"created_by": "acceptance-suite"},
        }
        for column in table.columns:
            if column.name not in row and not column.nullable and column.server_default is None:
                row[column.name] = _zero_of(column.type)
        with self.engine.begin() as conn:
            conn.execute(table.insert().values({k: v for k, v in row.items() if k in table.columns}))
        return eval_id

    def stored_row(self, eval_id: str) -> dict | None:
        """The evaluation's row as the platform stored it (None: no such row)."""
        with self.engine.connect() as conn:
            row = conn.execute(text(f"SELECT * FROM {EVALUATIONS} WHERE {self.dialect.evaluations_id_column}::text = :eval_id"),
                               {"eval_id": eval_id}).mappings().first()
        return dict(row) if row else None

    def column_type(self, table: str, column: str) -> str | None:
        """The column's type as PostgreSQL names it (e.g. 'jsonb')."""
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT data_type FROM information_schema.columns "
                                     "WHERE table_name = :table AND column_name = :column"),
                                {"table": table, "column": column}).scalar()

    def ids_with_metadata(self, containing: dict) -> set[str]:
        """The evaluations whose JSONB metadata contains `containing` (the @> operator)."""
        with self.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT {self.dialect.evaluations_id_column}::text FROM {EVALUATIONS} "
                                     f"WHERE metadata @> CAST(:doc AS jsonb)"),
                                {"doc": json.dumps(containing)}).scalars().all()
        return set(rows)


def _zero_of(column_type: Any) -> Any:
    """The zero value of a column type (for NOT NULL columns the contract does not name)."""
    if isinstance(column_type, Boolean):
        return False
    if isinstance(column_type, (Integer, Numeric)):
        return 0
    if isinstance(column_type, JSON):
        return {}
    return ""
