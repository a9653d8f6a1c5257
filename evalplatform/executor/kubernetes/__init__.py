"""The `kubernetes` executor: each evaluation runs as a batch/v1 Job under gVisor.

Chosen with EVALPLATFORM_EXECUTOR=kubernetes. The worker needs only API access to the
evaluation namespace (deploy/k8s/base/rbac.yaml); no sandbox engine runs on the worker
itself.

The package: `runner` is the program the evaluation container runs; `manifest` builds
the Job and its code ConfigMap from the run request; `podstate` reads what the kubelet
and the Job controller report; `logs` splits the container log into stdout, stderr and
the runner's result; `outcome` maps all that to the RunResult; `follow` streams live
output; `jobrun` drives one Job from creation to cleanup; `client` makes the API client.
The executor class below is a thin shell around `jobrun`: a cancel that can come from
another thread (`kill`) and a description of what it enforces, for /api/platform.
"""

from __future__ import annotations

import threading
from typing import Optional

import kubernetes

from evalplatform.executor.kubernetes.client import Apis, api_client
from evalplatform.executor.kubernetes.jobrun import JobRun, delete_eval_jobs
from evalplatform.executor.quantities import parse_cpu_cores
from evalplatform.run import CancelCheck, OutputCallback, RunRequest, RunResult, default_limits
from evalplatform.settings import Settings, get_settings

# What a Job of this executor enforces, in /api/platform's words, and where:
# - network_isolation: the evaluation Pods' deny-all NetworkPolicy (nothing in, nothing out:
#   deploy/k8s/base/networkpolicies.yaml); filesystem_isolation: a read-only root with only
#   the code and a size-limited scratch volume (manifest.py);
# - memory_limit, cpu_limit: the container's resource limits; gvisor: the RuntimeClass;
# - timeout, output_limit: the container's runner (runner.py), the Job's deadline as backstop;
# - output_streaming: the followed container log; cancellation: deleting the Job.
# Not pids_limit: a per-Pod PID limit is the kubelet's `podPidsLimit`, not something a Pod
# spec can set.
CAPABILITIES = ("network_isolation", "filesystem_isolation", "memory_limit", "cpu_limit", "timeout",
                "output_limit", "output_streaming", "cancellation", "gvisor")


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

    def run(self, request: RunRequest, on_output: Optional[OutputCallback] = None,
            should_cancel: Optional[CancelCheck] = None) -> RunResult:
        def cancelled() -> bool:
            return request.run_id in self._killed or bool(should_cancel and should_cancel())

        try:
            return JobRun(self.apis, self.settings, request, on_output, cancelled).run()
        finally:
            with self._lock:
                self._killed.discard(request.run_id)

    def kill(self, eval_id: str) -> bool:
        """Stop an evaluation's Job from any thread. The running `run` also sees the kill,
        so a Job created just after this delete (a cancel racing creation) is deleted too."""
        with self._lock:
            self._killed.add(eval_id)
        return delete_eval_jobs(self.apis, self.settings.k8s_namespace, eval_id) > 0

    def describe(self) -> dict:
        """For /api/platform and the workers' heartbeat: whether the API server answers
        (within 3 s, never raising), and what this executor enforces (CAPABILITIES) with
        the limits a Job gets when the evaluation asks for none."""
        try:
            version = kubernetes.client.VersionApi(self._client_for_use()).get_code(_request_timeout=(3, 3))
            available, detail = True, f"kubernetes {version.git_version}"
        except Exception as exc:  # noqa: BLE001 - no config, unreachable, refused: all "not available"
            available, detail = False, f"kubernetes API not reachable: {type(exc).__name__}: {exc}"
        limits = default_limits(self.settings)
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
            "capabilities": sorted(CAPABILITIES),
            "limits": {"default_timeout_s": limits.timeout_s, "default_memory_mb": limits.memory_mb,
                       "default_cpu_cores": parse_cpu_cores(self.settings.k8s_cpu_limit),
                       "scratch_mb": limits.scratch_mb, "output_limit_bytes": limits.stdout_bytes},
        }
