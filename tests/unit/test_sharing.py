"""The gate's xdist scheduling (support/sharing.py): the @exclusive scenarios go, as one unit,
to the worker with a stack of its own, first; the rest one at a time, long ones first."""
from __future__ import annotations

import json
from types import SimpleNamespace

from support import sharing
from support.sharing import EXCLUSIVE, OWN_STACK_KEY, OwnStackFirstScheduling

EXCLUSIVE_IDS = ["f/test_priority.py::test_high_first", "f/test_cancellation.py::test_queued"]
OTHERS = ["f/test_load.py::test_burst", "f/test_api.py::test_shape", "f/test_api.py::test_404",
          "f/test_api.py::test_health"]


class StubNode:
    """What the scheduler uses of xdist's WorkerController: its input, what it was sent."""

    def __init__(self, workerid: str, own_stack: str | None = None):
        self.workerinput = {"workerid": workerid, **({OWN_STACK_KEY: own_stack} if own_stack else {})}
        self.gateway = SimpleNamespace(id=workerid)
        self.shutting_down = False
        self.sent: list[int] = []

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.extend(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def scheduler(tmp_path, exclusive_ids) -> OwnStackFirstScheduling:
    ids_file = tmp_path / "exclusive-ids.json"
    if exclusive_ids is not None:
        sharing.write_exclusive_ids(str(ids_file), exclusive_ids)
    config = SimpleNamespace(getvalue=lambda name: ["2*popen"] if name == "tx" else None,
                             option=SimpleNamespace(loadscopereorder=True))
    return OwnStackFirstScheduling(config, exclusive_ids_file=str(ids_file))


def started(sched, nodes, collection):
    for node in nodes:        # the shared-stack worker is up first: the order must not matter
        sched.add_node(node)
    for node in nodes:
        sched.add_node_collection(node, collection)
    sched.schedule()


def test_the_exclusive_group_goes_whole_and_first_to_the_own_stack_worker(tmp_path):
    collection = EXCLUSIVE_IDS + OTHERS
    sched = scheduler(tmp_path, EXCLUSIVE_IDS)
    shared, own = StubNode("gw1"), StubNode("gw0", own_stack=str(tmp_path / "ids"))
    started(sched, [shared, own], collection)
    assert [collection[i] for i in own.sent] == EXCLUSIVE_IDS
    # two each to start with: an xdist worker runs a scenario once it knows the next one
    assert [collection[i] for i in shared.sent] == OTHERS[:2]


def test_a_worker_gets_its_next_scenario_only_when_down_to_one(tmp_path):
    collection = EXCLUSIVE_IDS + OTHERS
    sched = scheduler(tmp_path, EXCLUSIVE_IDS)
    shared, own = StubNode("gw1"), StubNode("gw0", own_stack="x")
    started(sched, [shared, own], collection)
    sched.mark_test_complete(own, 0)              # one of its group left: its next scenario
    assert [collection[i] for i in own.sent] == EXCLUSIVE_IDS + OTHERS[2:3]
    sched.mark_test_complete(shared, collection.index(OTHERS[0]))
    assert [collection[i] for i in shared.sent] == OTHERS[:2] + OTHERS[3:]


def test_without_the_ids_file_there_is_no_group(tmp_path):
    collection = EXCLUSIVE_IDS + OTHERS
    sched = scheduler(tmp_path, None)
    shared, own = StubNode("gw1"), StubNode("gw0", own_stack="x")
    started(sched, [shared, own], collection)
    assert [collection[i] for i in own.sent] == [EXCLUSIVE_IDS[0], OTHERS[0]]
    assert [collection[i] for i in shared.sent] == [EXCLUSIVE_IDS[1], OTHERS[1]]


def test_the_ids_file_is_plain_json(tmp_path):
    path = tmp_path / "ids.json"
    sharing.write_exclusive_ids(str(path), EXCLUSIVE_IDS)
    assert json.loads(path.read_text()) == EXCLUSIVE_IDS


def test_run_order_puts_exclusive_then_long_then_the_rest():
    ranks = {tags: sharing.run_order(frozenset(tags)) for tags in
             [(EXCLUSIVE, "priority"), ("load",), ("slow", "host"), ("api",)]}
    assert sorted(ranks, key=ranks.get) == [(EXCLUSIVE, "priority"), ("load",), ("slow", "host"), ("api",)]
