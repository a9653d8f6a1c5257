"""Scenarios in parallel on one embedded stack (pytest-xdist), and the few that need it alone.

`make acceptance` runs the scenarios in several xdist workers against ONE embedded
stack (support/session.py: the controller starts it, the workers share it), so scenarios
that mostly wait (a sleeping evaluation, a deadline) wait at the same time.

Most scenarios only look at their own evaluations and do not mind others running beside
them. A scenario tagged @exclusive needs the whole platform in a known state: it judges
a view of all of it (every evaluation listed as running is running; the running set
equals the API's list; pages of the list have no gaps or overlaps), or it fills every
worker slot with its own blockers first (priority order, cancelling a queued
evaluation). Another scenario's evaluation starting or ending in the middle would break
it for no fault of the platform (a blocker that waited for a slot starts late, and
another ends before the scenario's submissions are done). It runs alone: a readers-writer lock over
the stack's directory, every scenario a reader, an @exclusive one the writer. Writers go
first: a writer holds the turnstile while it waits, so no new reader slips in and a
stream of readers cannot starve it. flock(2) locks are released by the kernel when a
worker dies, so a crashed worker never leaves the others waiting.
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

import pytest

EXCLUSIVE = "exclusive"
EXCLUSIVE_HELP = ("needs the whole platform (a view of all of it, or every worker slot), so it "
                  "runs alone on a stack shared by parallel workers (support/sharing.py)")
TURNSTILE, ROOM = ".scenario-turnstile.lock", ".scenario-room.lock"


def is_xdist_controller(config: pytest.Config) -> bool:
    """True in the controller of a pytest-xdist run (workers have `workerinput`). Read from
    the options (`-n N` sets `dist`), not from xdist's DSession plugin: xdist registers
    that in a trylast pytest_configure, after the conftest's has run."""
    return (not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", None))
            and getattr(config.option, "dist", "no") != "no")


def _locked(path: Path, how: int):
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(handle, how)
    return handle


def _release(handle: int) -> None:
    fcntl.flock(handle, fcntl.LOCK_UN)
    os.close(handle)


@contextmanager
def _turn(directory: Path, exclusive: bool) -> Iterator[None]:
    turnstile = _locked(directory / TURNSTILE, fcntl.LOCK_EX)
    try:
        room = _locked(directory / ROOM, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    finally:
        if not exclusive:
            _release(turnstile)
    try:
        yield
    finally:
        _release(room)
        if exclusive:
            _release(turnstile)


def turn(shared_dir: str | None, exclusive: bool):
    """The scenario's turn on a shared stack (alone when `exclusive`); nothing to wait for
    when the stack is not shared."""
    return _turn(Path(shared_dir), exclusive) if shared_dir else nullcontext()
