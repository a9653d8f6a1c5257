"""This process's database engine, and migrations run programmatically at start.

One engine per process, autocommitting: every store call is one statement, its own
transaction (repository.py), so psycopg's BEGIN and COMMIT would only add round trips.
A pooled connection is pinged when it has been idle longer than IDLE_PING_S (not on
every checkout, as pool_pre_ping would: that was a round trip per store call), so a
restarted PostgreSQL still costs one retry, not an error: a restart takes longer than
IDLE_PING_S, and a connection used while it was down failed, which makes SQLAlchemy
discard every connection of the pool made before the failure. `migrate` holds a PostgreSQL advisory lock: the stack, the API and any other
starter may all run it at the same time and exactly one applies the migrations.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant shared by every migrator of this schema: the bytes of "evalmigr".
MIGRATION_LOCK_KEY = int.from_bytes(b"evalmigr", "big") & 0x7FFF_FFFF_FFFF_FFFF
# A pooled connection idle longer than this is pinged before use (see the docstring).
IDLE_PING_S = 0.1

_engine: Optional[Engine] = None
_sessions: Optional[sessionmaker[Session]] = None


def sqlalchemy_url(url: str) -> str:
    """Accept libpq URLs (postgresql://, postgres://) and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def init(database_url: Optional[str] = None) -> None:
    """Create this process's engine and session factory (default URL: the settings')."""
    global _engine, _sessions
    if database_url is None:
        from evalplatform.settings import get_settings
        database_url = get_settings().database_url
    if _engine is not None:
        _engine.dispose()
    # LIFO: the connection used last is used next, so under load one stays hot (never
    # idle past IDLE_PING_S, never pinged) instead of the pool rotating through all of them.
    _engine = create_engine(sqlalchemy_url(database_url), pool_size=5, max_overflow=10,
                            pool_recycle=300, pool_use_lifo=True, isolation_level="AUTOCOMMIT",
                            connect_args={"connect_timeout": 5})
    _ping_when_idle(_engine)
    _sessions = sessionmaker(_engine, expire_on_commit=False)


def _ping_when_idle(eng: Engine) -> None:
    """Ping a connection on checkout only when it was idle longer than IDLE_PING_S; a dead
    one raises DisconnectionError, on which the pool replaces it (SQLAlchemy's documented
    pessimistic handling, with the ping made conditional)."""

    @event.listens_for(eng, "checkin")
    def _idle_from(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(eng, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since <= IDLE_PING_S:
            return
        try:
            alive = eng.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"idle connection dead: {error}") from error
        if not alive:
            raise exc.DisconnectionError("idle connection dead")


def engine() -> Engine:
    if _engine is None:
        init()
    return _engine


def session() -> Session:
    if _sessions is None:
        init()
    return _sessions()


def ping() -> bool:
    """SELECT 1 answered: the health check's database probe."""
    try:
        with engine().connect() as conn:
            return conn.execute(text("SELECT 1")).scalar() == 1
    except Exception:
        return False


def migrate(database_url: Optional[str] = None, wait_s: float = 30) -> None:
    """Upgrade the schema to head, waiting up to `wait_s` for the database to accept connections.

    Uses its own short-lived engine so it works before (or without) `init`.
    """
    from alembic import command
    from alembic.config import Config

    if database_url is None:
        from evalplatform.settings import get_settings
        database_url = get_settings().database_url
    migrator = create_engine(sqlalchemy_url(database_url), poolclass=None,
                             connect_args={"connect_timeout": 5})
    try:
        conn = _connect_with_retry(migrator, wait_s)
        with conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            try:
                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS_DIR))
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                conn.commit()
    finally:
        migrator.dispose()


def _connect_with_retry(eng: Engine, wait_s: float):
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return eng.connect()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
