"""How an evaluation Job ended, as the platform's RunResult.

Sources, most authoritative first: the Job controller's DeadlineExceeded (the backstop
deadline), the kubelet's OOMKilled, then the runner's trailer (exact exit code or
signal, its own timeout and output-limit verdicts, stderr), and when the trailer is
missing, the container's exit code (above 128: killed by signal code-128).
"""

from __future__ import annotations

from typing import Optional

from kubernetes import client as k8s

from evalplatform import contract
from evalplatform.executor.kubernetes.logs import SplitLog
from evalplatform.run import Limits, RunResult

ENGINE = "gvisor"
RUNNER_REASONS = {"timeout": contract.REASON_TIMEOUT, "output_limit": contract.REASON_OUTPUT_LIMIT}


def failure(reason: str, detail: str, runtime_ms: int = 0) -> RunResult:
    """A run that ended before the program could (rejected, sandbox_error, killed)."""
    return RunResult(exit_code=None, signal=None, reason=reason, stdout="", stderr=detail,
                     stdout_truncated=False, stderr_truncated=False, runtime_ms=runtime_ms,
                     max_rss_mb=None, engine=ENGINE)


def _text(data: bytes, cap: int) -> tuple[str, bool]:
    return data[:cap].decode("utf-8", errors="replace"), len(data) > cap


def from_finished(log: SplitLog, state: Optional[k8s.V1ContainerStateTerminated],
                  job_failure: Optional[tuple[str, str]], runtime_ms: int,
                  limits: Limits) -> RunResult:
    trailer = log.trailer or {}
    stdout, stdout_cut = _text(log.stdout, limits.stdout_bytes)
    stderr, stderr_cut = _text(log.stderr, limits.stderr_bytes)
    exit_code, signal = _exit(trailer, state)
    if job_failure and job_failure[0] == "DeadlineExceeded":
        reason = contract.REASON_TIMEOUT
    elif state is not None and state.reason == "OOMKilled":
        reason = contract.REASON_MEMORY
    elif trailer.get("reason") in RUNNER_REASONS:
        reason = RUNNER_REASONS[trailer["reason"]]
    elif signal:
        reason = contract.REASON_KILLED
    elif exit_code:
        reason = contract.REASON_NONZERO_EXIT
    elif exit_code is None:
        reason = contract.REASON_SANDBOX_ERROR
        stderr = stderr or f"the container ended without an exit status ({job_failure or 'no Job condition'})"
    else:
        reason = None
    return RunResult(
        exit_code=exit_code, signal=signal, reason=reason, stdout=stdout, stderr=stderr,
        stdout_truncated=bool(trailer.get("stdout_truncated")) or stdout_cut,
        stderr_truncated=bool(trailer.get("stderr_truncated")) or stderr_cut,
        runtime_ms=int(trailer.get("runtime_ms") or runtime_ms),
        max_rss_mb=trailer.get("max_rss_mb"), engine=ENGINE)


def _exit(trailer: dict, state: Optional[k8s.V1ContainerStateTerminated]) -> tuple[Optional[int], Optional[int]]:
    if "exit_code" in trailer or "signal" in trailer:
        return trailer.get("exit_code"), trailer.get("signal")
    if state is None or state.exit_code is None:
        return None, None
    if state.exit_code > 128:
        return None, state.exit_code - 128
    return state.exit_code, None
