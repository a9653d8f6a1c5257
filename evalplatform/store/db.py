"""This process's database engine, and migrations run programmatically at start.

One engine per process (pool_pre_ping, so a restarted PostgreSQL costs one retry, not an
error). `migrate` holds a PostgreSQL advisory lock: the stack, the API and any other
starter may all run it at the same time and exactly one applies the migrations.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant shared by every migrator of this schema: the bytes of "evalmigr".
MIGRATION_LOCK_KEY = int.from_bytes(b"evalmigr", "big") & 0x7FFF_FFFF_FFFF_FFFF

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
    _engine = create_engine(sqlalchemy_url(database_url), pool_pre_ping=True, pool_size=5,
                            max_overflow=10, pool_recycle=300,
                            connect_args={"connect_timeout": 5})
    _sessions = sessionmaker(_engine, expire_on_commit=False)


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
