"""What an executor is: the queue hands it one stored evaluation, it returns how it ended.

`local` runs the evaluation in this host's sandbox engine; `kubernetes` runs it as a Job
under gVisor. The queue task (queue/tasks.py) owns status moves and Redis state; the
executor only runs code and reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol

from evalplatform.sandbox.types import CancelCheck, OutputCallback, RunResult


@dataclass(frozen=True)
class ExecutionSpec:
    eval_id: str
    code: str
    environment: str = "python"
    timeout_s: int = 30
    memory_mb: Optional[int] = None   # None: the platform default
    cpu_limit: Optional[str] = None
    priority: int = 0


class Executor(Protocol):
    name: str            # "local" | "kubernetes"
    engine: str          # the sandbox engine it uses: nsjail | bwrap | gvisor

    def run(self, spec: ExecutionSpec, on_output: Optional[OutputCallback] = None,
            should_cancel: Optional[CancelCheck] = None) -> RunResult:
        """Run to the end (or until should_cancel() is True) and report."""

    def kill(self, eval_id: str) -> bool:
        """Kill a running evaluation's whole process tree (or Job). True if one was found."""

    def describe(self) -> dict:
        """For /api/platform and health: engine, version, capabilities."""
