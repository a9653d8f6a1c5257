"""Executors: where a stored evaluation runs (see base.py for the protocol).

`local` runs it in this host's sandbox engine; `kubernetes` (a package of its own) as a
Job under gVisor. The Kubernetes executor is imported only when configured: it needs the
kubernetes client and a cluster, which a local deployment has no use for.
"""

from __future__ import annotations

from functools import cache

from evalplatform.executor.base import Executor
from evalplatform.settings import Settings, get_settings

__all__ = ["Executor", "build_executor", "get_executor", "kill_if_here"]


def build_executor(settings: Settings) -> Executor:
    """A new executor of the kind the settings name."""
    if settings.executor == "kubernetes":
        from evalplatform.executor.kubernetes import KubernetesExecutor
        return KubernetesExecutor(settings)
    from evalplatform.executor.local import LocalExecutor
    return LocalExecutor(settings)


@cache
def get_executor() -> Executor:
    """This process's executor, built once from its settings (engine probes are not free)."""
    return build_executor(get_settings())


def kill_if_here(eval_id: str) -> bool:
    """Kill the evaluation's sandbox (or Job) if this process's executor can reach it.

    Best effort, for the API's cancel and the reaper: the worker that owns the run kills it
    anyway (it polls the cancel flag), and a host without a sandbox engine simply can't."""
    try:
        return get_executor().kill(eval_id)
    except Exception:
        return False
