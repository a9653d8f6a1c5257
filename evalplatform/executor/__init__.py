"""Executors: where a stored evaluation runs (see base.py for the protocol).

`local` runs it in this host's sandbox engine; `kubernetes` as a Job under gVisor. The
Kubernetes executor is imported only when configured: it needs the kubernetes client and
a cluster, which a local deployment has no use for.
"""

from __future__ import annotations

from evalplatform.executor.base import ExecutionSpec, Executor
from evalplatform.settings import Settings, get_settings

__all__ = ["ExecutionSpec", "Executor", "get_executor", "kill_if_here"]

_cache: dict[int, Executor] = {}


def get_executor(settings: Settings | None = None) -> Executor:
    """The executor the settings name; one per settings object (engine probes are not free)."""
    settings = settings or get_settings()
    key = id(settings)
    if key not in _cache:
        if settings.executor == "kubernetes":
            from evalplatform.executor.kubernetes import KubernetesExecutor
            _cache[key] = KubernetesExecutor(settings)
        else:
            from evalplatform.executor.local import LocalExecutor
            _cache[key] = LocalExecutor(settings)
    return _cache[key]


def kill_if_here(eval_id: str) -> bool:
    """Kill the evaluation's sandbox (or Job) if this process's executor can reach it.

    Best effort, for the API's cancel and the reaper: the worker that owns the run kills it
    anyway (it polls the cancel flag), and a host without a sandbox engine simply can't."""
    try:
        return get_executor().kill(eval_id)
    except Exception:
        return False
