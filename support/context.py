"""What one scenario has done so far: the evaluation it ran, the last answer, the last
probe verdict... Steps write it and later steps read it.

"The evaluation" is the last one the scenario ran or submitted. Running goes through the
session's runner (`sandbox`: the platform, or the sandbox under test), so the same steps
judge any target; submitting without waiting is a platform's feature (`evaluations`).

Reading something no earlier step produced is a mistake in the feature file, so it
fails with a sentence saying which kind of step is missing, not an AttributeError.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any, Callable

from support import probes


class ScenarioContext:
    def __init__(self) -> None:
        self.__dict__["cleanup"] = ExitStack()
        self.__dict__["submitted"] = []   # every eval_id this scenario submitted, in order
        self.__dict__["_pending"] = None  # how to wait for the last submission's end

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"no earlier step of this scenario produced {name!r}; "
                             f"the scenario is missing a step that sets it up")

    def has(self, name: str) -> bool:
        return name in self.__dict__

    def remember_submission(self, eval_id: str) -> str:
        """Note an evaluation, so the scenario's teardown can stop it if it still runs."""
        self.submitted.append(eval_id)
        return eval_id

    def run(self, sandbox, code: str, **fields: Any) -> dict:
        """Run `code` to its end on the target; it becomes "the evaluation". A run the target
        did not contain itself (the suite's safety net had to stop it) is a failure here."""
        record = sandbox.run(code, **fields)
        self.__dict__["_pending"] = None
        self.record, self.ended_at = record, time.monotonic()
        self.eval_id = self.remember_submission(record["eval_id"])
        contained = record.get("contained_by_suite")
        assert not contained, f"the target did not contain the evaluation; the suite's safety net did: {contained}"
        return record

    def probe(self, sandbox, probe_name: str, run_fields: dict | None = None, **params: Any) -> dict:
        """Run the probe `probe_name` (support/probes) with `params` on the target (with
        `run_fields`, e.g. an environment, where the target takes them); its verdict is kept."""
        record = self.run(sandbox, probes.load(probe_name, **params), **(run_fields or {}))
        try:
            self.verdict = probes.verdict(record.get("output") or "")
        except ValueError as exc:
            raise AssertionError(f"probe {probe_name} printed no verdict ({exc}); the evaluation ended "
                                 f"{record.get('status')}/{record.get('reason')}, error: {record.get('error')!r}")
        return self.verdict

    def submit(self, evaluations, code: str, **fields: Any) -> str:
        """Submit `code` to a platform without waiting; it becomes "the evaluation"."""
        self.submission = evaluations.api.submit(code, **fields)
        return self.follow(evaluations, self.submission["eval_id"])

    def follow(self, evaluations, eval_id: str) -> str:
        """The platform's evaluation `eval_id` becomes "the evaluation", its end waited for
        when a step first reads its outcome."""
        self.eval_id = self.remember_submission(eval_id)
        self.__dict__.pop("record", None)
        self.__dict__["_pending"] = lambda: evaluations.wait_terminal(eval_id)
        return eval_id

    def outcome(self) -> dict:
        """The scenario's evaluation, terminal (waited for on first use, then kept)."""
        if not self.has("record"):
            wait: Callable[[], dict] | None = self._pending
            assert wait is not None, "no earlier step of this scenario ran or submitted an evaluation"
            self.record = wait()
            self.ended_at = time.monotonic()
        return self.record

    def forget_outcome(self) -> None:
        """The evaluation may change (it was cancelled): read its record afresh next time."""
        self.__dict__.pop("record", None)
