"""The local executor: runs an evaluation in this host's sandbox (nsjail, bwrap or gVisor)."""

from __future__ import annotations

import shutil
from typing import Optional

from evalplatform import sandbox
from evalplatform.run import CancelCheck, OutputCallback, RunRequest, RunResult
from evalplatform.sandbox import runner
from evalplatform.sandbox.cgroups import RunCgroup
from evalplatform.settings import Settings, get_settings


class LocalExecutor:
    name = "local"

    def __init__(self, settings: Optional[Settings] = None):
        self.settings = settings or get_settings()
        self.sandbox = sandbox.Sandbox(settings=self.settings)
        self.engine = self.sandbox.engine_name

    def run(self, request: RunRequest, on_output: Optional[OutputCallback] = None,
            should_cancel: Optional[CancelCheck] = None) -> RunResult:
        """The request's cpu_cores is not enforced here (no CPU quota: `cpu_limit` is not
        among this executor's capabilities); every other limit is."""
        # The caller owns the evaluation now (the store said so), so a sandbox of the same
        # run on this host is what an earlier attempt's dead worker left: remove it.
        if self._exists(request.run_id):
            self._remove(request.run_id)
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
        """The sandbox's own description (engine, cgroups, capabilities, limits): a local
        executor enforces exactly what its sandbox does."""
        return {**self.sandbox.describe(), "executor": self.name, "available": True, "detail": ""}
