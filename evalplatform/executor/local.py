"""The local executor: runs an evaluation in this host's sandbox (nsjail, bwrap or gVisor)."""

from __future__ import annotations

import shutil
from typing import Optional

from evalplatform import sandbox
from evalplatform.sandbox import runner
from evalplatform.sandbox.cgroups import RunCgroup
from evalplatform.executor.base import ExecutionSpec
from evalplatform.sandbox.types import CancelCheck, OutputCallback, RunRequest, RunResult
from evalplatform.settings import Settings, get_settings

# Every local engine gives these; gVisor adds its own kernel.
CAPABILITIES = ("network_isolation", "filesystem_isolation", "memory_limit", "pids_limit",
                "timeout", "output_limit", "output_streaming", "cancellation")


class LocalExecutor:
    name = "local"

    def __init__(self, settings: Optional[Settings] = None):
        self.settings = settings or get_settings()
        self.sandbox = sandbox.Sandbox(settings=self.settings)
        self.engine = self.sandbox.engine_name

    def run(self, spec: ExecutionSpec, on_output: Optional[OutputCallback] = None,
            should_cancel: Optional[CancelCheck] = None) -> RunResult:
        limits = sandbox.default_limits(self.settings, timeout_s=spec.timeout_s,
                                        memory_mb=spec.memory_mb)
        request = RunRequest(code=spec.code, run_id=spec.eval_id,
                             environment=spec.environment, limits=limits)
        # The caller owns the evaluation now (the store said so), so a sandbox of the same
        # run on this host is what an earlier attempt's dead worker left: remove it.
        if self._exists(spec.eval_id):
            self._remove(spec.eval_id)
        return self.sandbox.run(request, on_output, should_cancel)

    def kill(self, eval_id: str) -> bool:
        return self.sandbox.kill(eval_id)

    def run_ids(self) -> set[str]:
        """The runs that have a sandbox (cgroup) on this host now, whoever started them."""
        return self.sandbox.hierarchy.run_ids()

    def remove_runs(self, run_ids: set[str]) -> list[str]:
        """Kill and remove exactly these runs' sandboxes (tree, cgroup, host directory).

        Not sandbox.cleanup_orphans(active): it removes everything NOT named, which on a
        host shared with other stacks or benchmarks would kill their runs too."""
        for run_id in run_ids:
            self._remove(run_id)
        return sorted(run_ids)

    def _exists(self, run_id: str) -> bool:
        return (RunCgroup(self.sandbox.hierarchy, run_id).exists()
                or runner.run_dir(self.settings, run_id).exists())

    def _remove(self, run_id: str) -> None:
        RunCgroup(self.sandbox.hierarchy, run_id).remove()     # kills what is left first
        shutil.rmtree(runner.run_dir(self.settings, run_id), ignore_errors=True)

    def describe(self) -> dict:
        described = self.sandbox.describe()
        capabilities = list(CAPABILITIES) + (["gvisor"] if self.engine == "gvisor" else [])
        return {**described, "executor": self.name, "available": True,
                "capabilities": capabilities}
