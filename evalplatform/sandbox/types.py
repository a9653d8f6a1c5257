"""The sandbox's public data: what a run asks for and what it reports.

These shapes are the interface between the sandbox and its callers (the local
executor, `python -m evalplatform doctor`, the benchmarks and tests). Keep them stable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Optional

# Which stream a chunk of live output came from.
STDOUT = "stdout"
STDERR = "stderr"

# Called with (stream, chunk) while the run is in progress; must be fast and not raise.
OutputCallback = Callable[[str, bytes], None]
# Polled while the run is in progress; returning True kills the run (reason "killed"
# unless the caller records it as cancelled).
CancelCheck = Callable[[], bool]


class SandboxError(Exception):
    """The sandbox itself failed (not the code it ran)."""


class SandboxUnavailable(SandboxError):
    """No engine on this host can isolate; the message says what to install or enable."""


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 30.0          # wall clock; the whole process tree is killed at it
    memory_mb: int = 256             # cgroup memory limit; an OOM kill reports reason "memory"
    pids: int = 64                   # cgroup pids limit (fork bombs are contained)
    cpu_time_s: int = 30             # RLIMIT_CPU
    file_size_mb: int = 16           # RLIMIT_FSIZE
    scratch_mb: int = 64             # size of the writable scratch (cwd and /tmp)
    stdout_bytes: int = 1024 * 1024  # each stream is capped separately
    stderr_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class RunRequest:
    code: str
    run_id: str                      # the evaluation id; exported to the code as EVAL_ID
    environment: str = "python"      # a name from sandbox.environments
    limits: Limits = field(default_factory=Limits)


@dataclass
class RunResult:
    exit_code: Optional[int]         # None when killed by a signal
    signal: Optional[int]            # the signal that ended the code, e.g. 9
    reason: Optional[str]            # None on exit 0; else a contract reason:
                                     # nonzero_exit|timeout|memory|output_limit|killed|sandbox_error
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
