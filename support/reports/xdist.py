"""The gate's reports from a pytest-xdist run: each worker's results, merged in the controller.

Under xdist the scenarios run in worker processes, so each worker's Gate (plugin.py)
holds only its own scenarios, and the controller collects none. A worker therefore
writes no report: it hands its results to the controller (`workeroutput`, which xdist
sends back when the worker finishes), and the controller's Gate, given every worker's,
decides the gate and writes the reports once, for the whole run.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import pytest

from support.reports.model import FeatureInfo, ScenarioResult, StepResult, Tag

WIRE_KEY = "evalgate_results"
# The target as a worker described it (its dialect, which features applied), for the
# controller's reports and terminal summary: the controller collects nothing itself.
WORKER_TARGET = pytest.StashKey[dict]()


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def to_wire(results: list[ScenarioResult], other_failures: list[str],
            definitions: dict[tuple[str, str], str], target: dict) -> dict[str, Any]:
    """What a worker hands over: plain data (xdist sends it through execnet)."""
    return {"results": [asdict(r) for r in results], "other_failures": list(other_failures),
            "definitions": [[t, n, where] for (t, n), where in definitions.items()], "target": target}


def _step(data: dict) -> StepResult:
    return StepResult(**data)


def _result(data: dict) -> ScenarioResult:
    feature = dict(data["feature"], tags=[Tag(**t) for t in data["feature"]["tags"]])
    return ScenarioResult(**{**data, "feature": FeatureInfo(**feature),
                             "tags": [Tag(**t) for t in data["tags"]],
                             "steps": [_step(s) for s in data["steps"]],
                             "failed_step": _step(data["failed_step"]) if data["failed_step"] else None,
                             "properties": [tuple(p) for p in data["properties"]]})


class MergeWorkerResults:
    """Registered in the controller: adds each finished worker's results to its Gate."""

    def __init__(self, gate):
        self.gate = gate

    def pytest_testnodedown(self, node, error) -> None:
        wire = getattr(node, "workeroutput", {}).get(WIRE_KEY)
        if not wire:
            return
        for data in wire["results"]:
            result = _result(data)
            self.gate.results[result.nodeid] = result
            self.gate.reported.add(result.nodeid)
        self.gate.model.other_failures.extend(n for n in wire["other_failures"]
                                              if n not in self.gate.model.other_failures)
        for kind, name, where in wire["definitions"]:
            self.gate.definitions[(kind, name)] = where
        # Every worker collected every scenario; the one whose dialect is known speaks for all.
        target, seen = wire.get("target") or {}, self.gate.config.stash.get(WORKER_TARGET, None)
        if target and (seen is None or seen.get("dialect") in (None, "not known")):
            self.gate.config.stash[WORKER_TARGET] = target
