"""The platform's PostgreSQL database (the only module that knows its table names), read
in the target's dialect (support/dialects: which columns hold the id and the events).

Two kinds of use, kept apart on purpose:
- read-only queries of the contract's tables (`evaluations`, `evaluation_events`) to
  check what the platform recorded;
- CRUD, transaction and JSONB scenarios, which run in a scratch schema that the suite
  creates and drops, so the target's own rows are never touched.
"""

from __future__ import annotations

import hashlib
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

from sqlalchemy import JSON, Boolean, Engine, Integer, MetaData, Numeric, Table, create_engine, inspect, text
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

    # -- the suite's scratch schema ---------------------------------------------------

    @contextmanager
    def scratch_schema(self) -> Iterator["ScratchSchema"]:
        schema = f"acceptance_{uuid.uuid4().hex[:12]}"
        with self.engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            yield ScratchSchema(self.engine, schema)
        finally:
            with self.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))

    def schema_exists(self, schema: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM information_schema.schemata WHERE schema_name = :s"),
                                {"s": schema}).scalar_one() == 1


class ScratchSchema:
    """One table, `items(id, name, data jsonb)`, in a schema nobody else uses."""

    def __init__(self, engine: Engine, name: str):
        self.engine = engine
        self.name = name
        self.table = f'"{name}".items'
        with engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE {self.table} (id serial PRIMARY KEY, name text NOT NULL, "
                              "data jsonb NOT NULL DEFAULT '{}'::jsonb)"))

    def insert(self, name: str, data: str = "{}", conn=None) -> int:
        sql = text(f"INSERT INTO {self.table} (name, data) VALUES (:name, CAST(:data AS jsonb)) RETURNING id")
        if conn is not None:
            return conn.execute(sql, {"name": name, "data": data}).scalar_one()
        with self.engine.begin() as own:
            return own.execute(sql, {"name": name, "data": data}).scalar_one()

    def name_of(self, item_id: int) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(text(f"SELECT name FROM {self.table} WHERE id = :id"), {"id": item_id}).scalar()

    def rename(self, item_id: int, name: str) -> int:
        with self.engine.begin() as conn:
            return conn.execute(text(f"UPDATE {self.table} SET name = :name WHERE id = :id"),
                                {"id": item_id, "name": name}).rowcount

    def remove(self, item_id: int) -> int:
        with self.engine.begin() as conn:
            return conn.execute(text(f"DELETE FROM {self.table} WHERE id = :id"), {"id": item_id}).rowcount

    def names(self, conn=None) -> set[str]:
        """The names in the table, as `conn` (a transaction in progress) or a new connection sees them."""
        if conn is not None:
            return set(conn.execute(text(f"SELECT name FROM {self.table}")).scalars())
        with self.engine.connect() as own:
            return self.names(own)

    @contextmanager
    def transaction(self) -> Iterator[object]:
        """A transaction that commits when the block ends normally, else rolls back."""
        with self.engine.begin() as conn:
            yield conn

    def names_where(self, jsonb_containing: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(text(f"SELECT name FROM {self.table} WHERE data @> CAST(:probe AS jsonb)"),
                                    {"probe": jsonb_containing}).scalars())


def _zero_of(column_type: Any) -> Any:
    """The zero value of a column type (for NOT NULL columns the contract does not name)."""
    if isinstance(column_type, Boolean):
        return False
    if isinstance(column_type, (Integer, Numeric)):
        return 0
    if isinstance(column_type, JSON):
        return {}
    return ""
