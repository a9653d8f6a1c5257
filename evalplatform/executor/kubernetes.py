"""The `kubernetes` executor: each evaluation runs as a batch/v1 Job under gVisor.

Chosen with EVALPLATFORM_EXECUTOR=kubernetes. The worker needs only API access to the
evaluation namespace (deploy/k8s/base/rbac.yaml); no sandbox engine runs on the worker
itself. The Job flow lives in evalplatform/k8s/jobrun.py; this class adds what the
Executor protocol asks: a cancel that can come from another thread (`kill`) and a
description for /api/platform.
"""

from __future__ import annotations

import threading
from typing import Optional

import kubernetes

from evalplatform.executor.base import ExecutionSpec
from evalplatform.k8s.client import Apis, api_client
from evalplatform.k8s.jobrun import JobRun, delete_eval_jobs
from evalplatform.sandbox.types import CancelCheck, OutputCallback, RunResult
from evalplatform.settings import Settings, get_settings

# In the vocabulary of the local executor's capabilities (executor/local.py).
CAPABILITIES = ("network_isolation", "filesystem_isolation", "memory_limit", "timeout", "output_limit",
                "output_streaming", "cancellation", "gvisor")


class KubernetesExecutor:
    name = "kubernetes"
    engine = "gvisor"

    def __init__(self, settings: Optional[Settings] = None, client: Optional[kubernetes.client.ApiClient] = None):
        self.settings = settings or get_settings()
        self._client = client
        self._killed: set[str] = set()
        self._lock = threading.Lock()

    def _client_for_use(self) -> kubernetes.client.ApiClient:
        """Made on first use, so that choosing this executor never needs a cluster at import."""
        with self._lock:
            if self._client is None:
                self._client = api_client(self.settings)
        return self._client

    @property
    def apis(self) -> Apis:
        return Apis.of(self._client_for_use())

    def run(self, spec: ExecutionSpec, on_output: Optional[OutputCallback] = None,
            should_cancel: Optional[CancelCheck] = None) -> RunResult:
        def cancelled() -> bool:
            return spec.eval_id in self._killed or bool(should_cancel and should_cancel())

        try:
            return JobRun(self.apis, self.settings, spec, on_output, cancelled).run()
        finally:
            with self._lock:
                self._killed.discard(spec.eval_id)

    def kill(self, eval_id: str) -> bool:
        """Stop an evaluation's Job from any thread. The running `run` also sees the kill,
        so a Job created just after this delete (a cancel racing creation) is deleted too."""
        with self._lock:
            self._killed.add(eval_id)
        return delete_eval_jobs(self.apis, self.settings.k8s_namespace, eval_id) > 0

    def describe(self) -> dict:
        """For /api/platform and the workers' heartbeat: whether the API server answers
        (within 3 s, never raising), and what this executor enforces. A per-Pod PID limit
        is the kubelet's `podPidsLimit`, not something a Pod spec can set, so `pids_limit`
        is not claimed."""
        try:
            version = kubernetes.client.VersionApi(self._client_for_use()).get_code(_request_timeout=(3, 3))
            available, detail = True, f"kubernetes {version.git_version}"
        except Exception as exc:  # noqa: BLE001 - no config, unreachable, refused: all "not available"
            available, detail = False, f"kubernetes API not reachable: {type(exc).__name__}: {exc}"
        return {
            "executor": self.name,
            "engine": self.engine,
            "version": None,              # gVisor's version is the nodes', not visible from here
            "available": available,
            "detail": detail,
            "namespace": self.settings.k8s_namespace,
            "runtime_class": self.settings.k8s_runtime_class,
            "images": dict(self.settings.k8s_images),
            "client_version": kubernetes.__version__,
            "capabilities": list(CAPABILITIES),
        }
