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

Draining the shared stack for each of them cost every other worker its wait, so they do
not run there in `make acceptance` (`--dist loadgroup`): the first worker is given a stack
of its OWN (support/session.py), started and stopped by it as a serial run does, and the
scheduler below (OwnStackFirstScheduling) hands it the @exclusive scenarios first, as one
group, which it runs one after another.
Nobody else uses that stack, so each of them sees it in the state the previous one left
(nothing running) while the other workers run the rest on the shared one; after the group
that worker takes ordinary scenarios like the others. The lock stays for any @exclusive
scenario that still reaches a shared-stack worker (another --dist, a crashed worker's
rescheduled group).
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

import pytest
from xdist.scheduler import LoadScopeScheduling

EXCLUSIVE = "exclusive"
EXCLUSIVE_HELP = ("needs the whole platform (a view of all of it, or every worker slot), so under "
                  "parallel workers it runs on the first worker's own stack, or alone on the shared one "
                  "(support/sharing.py)")
TURNSTILE, ROOM = ".scenario-turnstile.lock", ".scenario-room.lock"
# What an xdist controller puts in the workerinput of the worker that has a stack of its own.
OWN_STACK_KEY = "evalplatform_own_stack"
# The scenarios that take longest (a burst, limits waited out), started first so that the
# run does not end waiting on one of them: by tag, most telling first.
LONG_TAGS = ("load", "slow")


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



def run_order(tags: frozenset[str]) -> int:
    """Where a scenario goes in the run: @exclusive first (the own-stack worker's first
    work), then the long ones, then the rest in collection order."""
    if EXCLUSIVE in tags:
        return 0
    return next((1 + i for i, tag in enumerate(LONG_TAGS) if tag in tags), 1 + len(LONG_TAGS))


def order_for_workers(items: list[pytest.Item], tags_of) -> None:
    """Sort `items` by `run_order`: stable, so the same in every worker (xdist checks)."""
    items.sort(key=lambda item: run_order(frozenset(tags_of(item))))


def write_exclusive_ids(path: str, nodeids: list[str]) -> None:
    """The own-stack worker tells the controller's scheduler which scenarios are @exclusive
    (xdist sends the controller node ids only; loadgroup's "@group" suffix on them is lost
    under pytest 9, whose node ids are no longer the `_nodeid` xdist rewrites)."""
    tmp = f"{path}.tmp"
    Path(tmp).write_text(json.dumps(nodeids))
    os.replace(tmp, path)


class OwnStackFirstScheduling(LoadScopeScheduling):
    """`--dist loadgroup` for the gate: the @exclusive scenarios are one work unit, and it is
    the first unit of the worker that has a stack of its own; every other scenario is a unit
    of its own, handed to whichever worker runs short, the long ones first (run_order).

    The exclusive ids come from the file the own-stack worker wrote before it sent its
    collection (write_exclusive_ids), which is before the scheduler starts. A run without
    that worker (an external target) or that file simply has no group."""

    def __init__(self, config: pytest.Config, log=None, exclusive_ids_file: str | None = None):
        super().__init__(config, log)
        self.exclusive_ids_file = exclusive_ids_file
        self.exclusive_ids: frozenset[str] = frozenset()

    def add_node(self, node) -> None:
        super().add_node(node)
        if node.workerinput.get(OWN_STACK_KEY):     # first in line: schedule() serves nodes in order
            self.assigned_work = {node: self.assigned_work.pop(node), **self.assigned_work}

    def _reschedule(self, node) -> None:
        """Another scenario for `node` only when it has one left besides the running one (an
        xdist worker needs the next one to run the current): loadscope's buffer of three let
        one worker sit on long scenarios while another had run out."""
        if node.shutting_down or not self.workqueue or self._pending_of(self.assigned_work[node]) <= 1:
            super()._reschedule(node)

    def _split_scope(self, nodeid: str) -> str:
        return EXCLUSIVE if nodeid in self.exclusive_ids else nodeid

    def schedule(self) -> None:
        if self.collection is None and self.exclusive_ids_file and os.path.exists(self.exclusive_ids_file):
            self.exclusive_ids = frozenset(json.loads(Path(self.exclusive_ids_file).read_text()))
        super().schedule()
