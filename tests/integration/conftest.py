"""The embedded stack for the integration tests: started once per session, stopped at the end.

`stack` is the whole platform (redis, PostgreSQL, workers, API); `core_stack` only the
services the store and state tests need (a second, lighter stack: about a second to start).
Set EVALPLATFORM_TEST_WORKERS to change the worker count (default 1).
"""

from __future__ import annotations

import os

import pytest

from evalplatform.stack import Stack


def _start(**kwargs) -> Stack:
    workers = int(os.environ.get("EVALPLATFORM_TEST_WORKERS", "1"))
    return Stack(workers=workers, **kwargs).start(timeout=60)


@pytest.fixture(scope="session")
def stack():
    running = _start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def core_stack():
    """Redis and PostgreSQL with the schema."""
    running = _start(with_api=False, with_workers=False)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def connected(core_stack):
    """This process's store and state, pointed at the core stack (for each test: another test
    may have pointed them elsewhere)."""
    from evalplatform import state, store
    store.init(core_stack.urls["DATABASE_URL"])
    state.init(core_stack.urls["REDIS_URL"])
    return core_stack
