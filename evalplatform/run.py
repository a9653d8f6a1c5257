"""One run, as every layer sees it: what it asks for (RunRequest, with its Limits) and how
it ended (RunResult). The codapi shape: `executor.run(request) -> result`.

The queue builds the request from the stored evaluation (queue/evaluation.py); an
executor runs it, locally in a sandbox engine (executor/local.py -> sandbox/) or as a
Kubernetes Job (executor/kubernetes/); the same RunResult comes back. Nothing between
the API and the engine describes a run in any other shape: the sandbox's RunPlan and the
kubernetes executor's JobPlan are this request laid out on a host or in a cluster, and
hold it rather than copy its fields.

Defaults: every limit a request does not set is the platform's, read from the settings
(settings.py writes each default once). Bounds are the API's to check, once, at the door
(api/schemas.py): a request that reached the queue was admitted, so nothing here clamps.
This module is a base module like contract.py: any layer may import it, it imports only
settings.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable, Optional

from evalplatform.settings import Settings, get_settings

# Which stream a chunk of live output came from.
STDOUT = "stdout"
STDERR = "stderr"

# Called with (stream, chunk) while the run is in progress; must be fast and not raise.
OutputCallback = Callable[[str, bytes], None]
# Polled while the run is in progress; returning True kills the run (reason "killed"
# unless the caller records it as cancelled).
CancelCheck = Callable[[], bool]


@dataclass(frozen=True)
class Limits:
    """What one run may use. Build it with `default_limits` (the settings' values)."""

    timeout_s: float                 # wall clock; the whole process tree is killed at it
    memory_mb: int                   # an OOM kill reports reason "memory"
    pids: int                        # processes (fork bombs are contained)
    cpu_time_s: int                  # RLIMIT_CPU
    file_size_mb: int                # RLIMIT_FSIZE
    scratch_mb: int                  # size of the writable scratch (cwd and /tmp)
    stdout_bytes: int                # each stream is capped separately
    stderr_bytes: int
    cpu_cores: Optional[float] = None   # None: the executor's default share


def default_limits(settings: Settings | None = None, timeout_s: float | None = None,
                   memory_mb: int | None = None, cpu_cores: float | None = None) -> Limits:
    """The platform's limits for one run, with the request's own timeout, memory and CPU
    where it set them. CPU time defaults to the (rounded-up) timeout."""
    s = settings or get_settings()
    timeout = timeout_s or s.default_timeout_s
    return Limits(timeout_s=timeout, memory_mb=int(memory_mb or s.default_memory_mb),
                  pids=s.pids_limit, cpu_time_s=s.cpu_time_s or max(1, math.ceil(timeout)),
                  file_size_mb=s.file_size_mb, scratch_mb=s.scratch_mb,
                  stdout_bytes=s.output_limit_bytes, stderr_bytes=s.output_limit_bytes,
                  cpu_cores=cpu_cores)


@dataclass(frozen=True)
class RunRequest:
    """One run of code, from the queue to the engine."""

    run_id: str                      # the evaluation id; exported to the code as EVAL_ID
    code: str
    environment: str = "python"      # a name from sandbox.environments / k8s_images
    limits: Limits = field(default_factory=default_limits)
    priority: int = 0                # the evaluation's; the kubernetes executor maps it to a PriorityClass


@dataclass
class RunResult:
    exit_code: Optional[int]         # None when killed by a signal
    signal: Optional[int]            # the signal that ended the code, e.g. 9
    reason: Optional[str]            # None on exit 0; else a contract reason:
                                     # nonzero_exit|timeout|memory|output_limit|killed|sandbox_error|rejected
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    runtime_ms: int
    max_rss_mb: Optional[float]
    engine: str                      # nsjail | bwrap | gvisor

    @property
    def ok(self) -> bool:
        return self.reason is None and self.exit_code == 0

    def to_dict(self) -> dict:
        return asdict(self)
