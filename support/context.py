"""What one scenario has done so far: the evaluations it submitted, the last answer, the
last probe verdict... Steps write it and later steps read it.

Reading something no earlier step produced is a mistake in the feature file, so it
fails with a sentence saying which kind of step is missing, not an AttributeError.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any


class ScenarioContext:
    def __init__(self) -> None:
        self.__dict__["cleanup"] = ExitStack()
        self.__dict__["submitted"] = []   # every eval_id this scenario submitted, in order

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"no earlier step of this scenario produced {name!r}; "
                             f"the scenario is missing a step that sets it up")

    def has(self, name: str) -> bool:
        return name in self.__dict__

    def remember_submission(self, eval_id: str) -> str:
        """Note an evaluation, so the scenario's teardown can stop it if it still runs."""
        self.submitted.append(eval_id)
        return eval_id

    def submit(self, evaluations, code: str, **fields: Any) -> str:
        """Submit `code`; it becomes "the evaluation" of the following steps."""
        answer = evaluations.api.submit(code, **fields)
        self.submission = answer
        self.eval_id = self.remember_submission(answer["eval_id"])
        self.__dict__.pop("record", None)
        return self.eval_id

    def record_of(self, evaluations) -> dict:
        """The scenario's evaluation, terminal (waited for on first use, then kept)."""
        if not self.has("record"):
            self.record = evaluations.wait_terminal(self.eval_id)
            self.ended_at = time.monotonic()
        return self.record
