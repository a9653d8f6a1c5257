"""What a sandbox engine is.

An engine turns a RunPlan into one host process that runs the plan's program isolated
(network namespace with only `lo`, read-only binds, scratch tmpfs, emptied environment,
uid 65534, no capabilities, no_new_privs, seccomp, PID namespace with an init, own
hostname). Everything around that process is the runner's job (sandbox/runner.py): the
cgroup it is started in, the rlimits, pipes and output caps, the wall-clock timeout,
cancellation, killing the tree, and reading how it ended.

Two small protocols instead of one base class with optional methods: every engine is an
`Engine` (availability, launch, setup_error); an engine whose host process is a runtime
of its own (gVisor's Sentry, gofer and `runsc run`) is also a `ResidentRuntime`: it needs
room in the run's cgroup, sets the program's rlimits inside, and leaves state to kill and
clean up. nsjail and bubblewrap are only Engines.

Engines never fall back to a bare subprocess: an engine that cannot isolate reports
itself unavailable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional, Protocol, runtime_checkable

from evalplatform.run import Limits, RunRequest

# What every engine isolates (no network but `lo`, a read-only root of its own), in
# /api/platform's words.
ISOLATION = frozenset({"network_isolation", "filesystem_isolation"})
# The highest Linux signal number: a return code above 128 + SIGRTMAX is an exit code.
SIGRTMAX = 64


@dataclass
class RunPlan:
    """A run's request laid out on this host: what the engine starts, and where."""

    request: RunRequest
    program: list[str]            # argv inside the sandbox, e.g. [python, "-I", "/eval/main.py"]
    env: dict[str, str]           # the whole environment inside: PATH, HOME, LANG, EVAL_ID
    ro_binds: list[str]           # host paths bound read-only at the same path
    code_dir: str                 # host dir holding main.py, bound read-only at inside_code_dir
    inside_code_dir: str = "/eval"
    scratch_dir: str = "/scratch" # writable tmpfs of limits.scratch_mb; cwd, and HOME
    hostname: str = "sandbox"
    uid: int = 65534
    gid: int = 65534
    workdir: str = ""             # host dir private to this run (bundles etc.), removed after
    # Paths inside the ro binds hidden behind an empty read-only directory (the host's
    # {workdir}/empty), e.g. the base interpreter's site-packages: see plan_layout().
    masked: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return self.request.run_id

    @property
    def limits(self) -> Limits:
        return self.request.limits


EMPTY_DIR_NAME = "empty"          # {workdir}/empty: the runner creates it, mode 0555


@dataclass(frozen=True)
class Mount:
    """One entry of the sandbox's read-only root, in the order engines must create them."""
    kind: str                     # "bind" (read-only) or "symlink"
    path: str                     # where it appears inside
    target: str = ""              # symlink target (as on the host, e.g. "usr/lib")
    source: str = ""              # bind: the host path, when not the same as `path`

    @property
    def host_path(self) -> str:
        return self.source or self.path


def ro_layout(paths: list[str]) -> list[Mount]:
    """The plan's ro_binds as mounts: a host path that is a symlink (merged-/usr /bin,
    /lib, /lib64) is recreated as the same symlink; missing paths are skipped."""
    mounts = []
    for path in paths:
        if os.path.islink(path):
            mounts.append(Mount("symlink", path, os.readlink(path)))
        elif os.path.exists(path):
            mounts.append(Mount("bind", path))
    return mounts


def plan_layout(plan: RunPlan) -> list[Mount]:
    """Every read-only entry of a plan's root, in order: the ro_binds (ro_layout), the
    masks (an empty directory bound over each masked path that exists), and the code
    directory at plan.inside_code_dir."""
    empty = os.path.join(plan.workdir, EMPTY_DIR_NAME)
    masks = [Mount("bind", path, source=empty) for path in plan.masked if os.path.isdir(path)]
    return [*ro_layout(plan.ro_binds), *masks,
            Mount("bind", plan.inside_code_dir, source=plan.code_dir)]


@dataclass
class Launch:
    """How the runner starts an engine's host process (Engine.launch)."""
    argv: list[str]
    pass_fds: tuple[int, ...] = ()   # inherited by the host process; the runner closes its
                                     # copies once it has started


@dataclass(frozen=True)
class Availability:
    ok: bool
    version: str = ""
    detail: str = ""              # when not ok: what to install or enable


class Engine(Protocol):
    """What every engine does."""

    name: str
    # The isolation it gives, in /api/platform's words (the runner and the cgroup add theirs).
    capabilities: frozenset[str]

    def availability(self) -> Availability:
        """Can this engine isolate on this host? Cheap; cached by callers."""

    def launch(self, plan: RunPlan) -> Launch:
        """The host process that runs plan.program isolated. May write files under plan.workdir."""

    def setup_error(self, plan: RunPlan) -> Optional[str]:
        """After the host process ended: why the engine failed before the program ran, or
        None. The runner then reports reason sandbox_error instead of the exit status."""


@runtime_checkable
class ResidentRuntime(Protocol):
    """An engine whose host process is a runtime of its own, which the program's limits
    must not bind: the runner then leaves the rlimits to the engine (set inside), gives
    the run's cgroup room for the runtime, and calls `kill` and `cleanup`."""

    def host_pids(self, limits: Limits) -> int:
        """pids.max of the run's cgroup: the program's limits.pids plus the runtime's tasks."""

    def host_memory_mb(self, limits: Limits) -> int:
        """Memory limit of the run's cgroup: the program's plus the runtime's own."""

    def kill(self, plan: RunPlan) -> None:
        """Kill the program through the runtime (the runner then kills the cgroup)."""

    def cleanup(self, plan: RunPlan) -> None:
        """Remove what the runtime left for this run besides plan.workdir (e.g. runsc state)."""


def decode_exit(returncode: int) -> tuple[Optional[int], Optional[int]]:
    """(exit_code, signal) of the program from the engine's host process's return code.

    A negative return code is the signal that killed the host process; a code of 128+N
    from an init (tini, bwrap's pid 1, runsc) means signal N. Linux signals stop at
    SIGRTMAX (64), so 193..255 can only be exit codes; 129..192 stay ambiguous (a
    program's own `sys.exit(137)` reads as signal 9), as in a shell.
    """
    if returncode < 0:
        return None, -returncode
    if 128 < returncode <= 128 + SIGRTMAX:
        return None, returncode - 128
    return returncode, None
