"""What a sandbox engine is.

An engine turns a RunPlan into the argv of one host process that runs the plan's
program isolated (network namespace with only `lo`, read-only binds, scratch tmpfs,
emptied environment, uid 65534, no capabilities, no_new_privs, seccomp, PID namespace
with an init, own hostname). Everything around that process is the runner's job
(sandbox/runner.py): the cgroup it is started in, pipes and output caps, the wall-clock
timeout, cancellation, killing the tree, and reading how it ended.

Engines never fall back to a bare subprocess: an engine that cannot isolate reports
itself unavailable.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Optional

from evalplatform.sandbox.types import Limits


@dataclass
class RunPlan:
    run_id: str
    program: list[str]            # argv inside the sandbox, e.g. [python, "-I", "/eval/main.py"]
    env: dict[str, str]           # the whole environment inside: PATH, HOME, LANG, EVAL_ID
    ro_binds: list[str]           # host paths bound read-only at the same path
    code_dir: str                 # host dir holding main.py, bound read-only at inside_code_dir
    inside_code_dir: str = "/eval"
    scratch_dir: str = "/scratch" # writable tmpfs of limits.scratch_mb; cwd, and HOME
    hostname: str = "sandbox"
    uid: int = 65534
    gid: int = 65534
    limits: Limits = field(default_factory=Limits)
    workdir: str = ""             # host dir private to this run (bundles etc.), removed after


@dataclass(frozen=True)
class Availability:
    ok: bool
    version: str = ""
    detail: str = ""              # when not ok: what to install or enable


class Engine(ABC):
    name: str = ""

    @abstractmethod
    def availability(self) -> Availability:
        """Can this engine isolate on this host? Cheap; cached by callers."""

    @abstractmethod
    def command(self, plan: RunPlan) -> list[str]:
        """The host argv that runs plan.program isolated. May write files under plan.workdir."""

    def cleanup(self, plan: RunPlan) -> None:
        """Remove anything the engine left for this run besides plan.workdir (e.g. runsc state)."""

    def kill(self, plan: RunPlan) -> None:
        """Engine-specific kill, beyond the runner killing the cgroup (e.g. `runsc kill`)."""

    def decode_exit(self, returncode: int) -> tuple[Optional[int], Optional[int]]:
        """(exit_code, signal) of the program from the host process's return code.

        Default: a negative return code is the signal that killed the host process; a
        code above 128 from an init (tini, bwrap's pid 1, nsjail) means 128+signal.
        Engines with an unambiguous channel (an init that reports the raw wait status)
        override this.
        """
        if returncode < 0:
            return None, -returncode
        if returncode > 128:
            return None, returncode - 128
        return returncode, None
