"""What an executor is: the queue hands it one run (evalplatform/run.py), it returns how
the run ended. `Exec(request) -> result`, as codapi's engines.

`local` runs the request in this host's sandbox engine; `kubernetes` runs it as a Job
under gVisor. The queue task (queue/tasks.py) owns status moves and Redis state; the
executor only runs code and reports.
"""

from __future__ import annotations

from typing import Optional, Protocol

from evalplatform.run import CancelCheck, OutputCallback, RunRequest, RunResult


class Executor(Protocol):
    name: str            # "local" | "kubernetes"
    engine: str          # the sandbox engine it uses: nsjail | bwrap | gvisor

    def run(self, request: RunRequest, on_output: Optional[OutputCallback] = None,
            should_cancel: Optional[CancelCheck] = None) -> RunResult:
        """Run to the end (or until should_cancel() is True) and report."""

    def kill(self, run_id: str) -> bool:
        """Kill a running evaluation's whole process tree (or Job). True if one was found."""

    def describe(self) -> dict:
        """What it enforces, for /api/platform and the workers' heartbeat: `executor`,
        `engine`, `version`, `available`, `detail`, `capabilities` (only what this executor
        and its engine really enforce) and `limits` (the per-run limits it applies by
        default, in /api/platform's names), plus what is its own (cgroups, namespace...)."""
