"""The suite's own outer safety net around a sandbox target that runs on this host.

A `command:` or `inspect:local` target is software the suite did not write, asked to
contain probes that try to take the machine down (a fork bomb, a memory hog, a disk
fill, an output flood). When the target fails to contain one, the suite must report it,
not suffer it. So every such run happens inside a net the suite makes itself:

- a cgroup of its own (v1 memory+pids hierarchies as on this machine, or the v2
  unified hierarchy of a fresh host) with a pids limit, a memory limit (swap included
  where the kernel accounts it) and OOM counting; the process started in it is moved
  there before it execs, so everything it forks is counted, limited and killed;
- a wall-time limit, enforced by the runner that polls `expired()`;
- a scratch directory, the run's cwd, HOME and TMPDIR: a tmpfs when the suite runs as
  root, whose pages are charged to the net's memory cgroup (so the memory limit bounds
  a disk fill there too), removed at the end;
- at the end every process still in the cgroup is killed, the cgroup removed.

The limits sit well above anything a scenario asks of the target (NetLimits), so the
net never decides a scenario by itself: when one of them is hit (`breaches()`), the
target failed to contain what it ran, and the runner says so in `contained_by_suite`.

This module is the suite's, independent of evalplatform's sandbox code on purpose: the
gate must not depend on the platform it judges.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence

from support import waiting

CGROUP_ROOT = Path("/sys/fs/cgroup")
NET_PARENT = "suite-safety-net"
NET_PREFIX = "net-"
CONTROLLERS = ("memory", "pids")
MIB = 1024 * 1024
# How long killing and removing the net may take before it is reported as stuck.
TEARDOWN_S = 10.0


@dataclass(frozen=True)
class NetLimits:
    """The net's limits: far above any scenario's (timeouts <= 300 s, memory limits of
    64-512 MiB, pids probes of ~1000 processes (twice a 512 pids limit), scratch fills of ~2 GiB), low enough that
    the host stays usable.

    The scratch tmpfs is as large as the memory limit (unless told otherwise): its pages
    are charged to the net's memory cgroup, so a disk fill the target does not bound runs
    into the memory limit, whose OOM kills the kernel counts. A full tmpfs alone is seen
    only while it lasts (the code may delete its files again), a counted OOM kill always."""

    pids: int = 2048
    memory_mb: int = 3072
    wall_s: float = 600.0
    scratch_mb: int | None = None    # None: memory_mb
    output_bytes: int = MIB          # per stream, read by the runner (support/targets/output.py)

    @property
    def scratch_size_mb(self) -> int:
        return self.memory_mb if self.scratch_mb is None else self.scratch_mb

    def describe(self) -> str:
        return (f"pids {self.pids}, memory {self.memory_mb} MiB, wall time {self.wall_s:g} s, "
                f"scratch {self.scratch_size_mb} MiB, output {self.output_bytes // 1024} KiB per stream")


class NetUnavailable(RuntimeError):
    """The host offers no cgroup the suite can use (the message says what is missing)."""


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _counter(text: str, key: str) -> int:
    """`key N` from a flat-keyed cgroup file (memory.events, memory.oom_control, pids.events)."""
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value)
    return 0


def cgroup_version() -> int:
    """2 on a unified hierarchy with memory and pids, 1 with both v1 hierarchies."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        missing = set(CONTROLLERS) - set(_read(CGROUP_ROOT / "cgroup.controllers").split())
        if missing:
            raise NetUnavailable(f"cgroup v2 without the controllers {sorted(missing)}")
        return 2
    missing = [c for c in CONTROLLERS if not (CGROUP_ROOT / c / "cgroup.procs").exists()]
    if missing:
        raise NetUnavailable(f"no cgroup v2 and no v1 hierarchy for {missing} under {CGROUP_ROOT}")
    return 1


class SafetyNet:
    """One net: `with SafetyNet(limits) as net: proc = net.popen(argv, env=...)`."""

    def __init__(self, limits: NetLimits = NetLimits(), name: str | None = None):
        self.limits = limits
        # Named after the process that made it, so each process can tell its own nets.
        self.name = name or f"{NET_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.version = cgroup_version()
        self.scratch: Optional[Path] = None
        self._mounted = False
        self._started = 0.0
        self._baseline: dict[str, int] = {}
        self._scratch_full = False

    # -- layout -------------------------------------------------------------------------------
    @property
    def dirs(self) -> list[Path]:
        """The net's cgroup directories: one on v2, one per controller on v1."""
        if self.version == 2:
            return [CGROUP_ROOT / NET_PARENT / self.name]
        return [CGROUP_ROOT / c / NET_PARENT / self.name for c in CONTROLLERS]

    def _dir(self, controller: str) -> Path:
        return self.dirs[0] if self.version == 2 else self.dirs[CONTROLLERS.index(controller)]

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> "SafetyNet":
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        try:
            self._make_cgroup()
            self._make_scratch()
        except BaseException:
            self.close()
            raise
        self.rearm()

    def _make_cgroup(self) -> None:
        if self.version == 2:
            parent = CGROUP_ROOT / NET_PARENT
            parent.mkdir(exist_ok=True)
            for d in (CGROUP_ROOT, parent):      # delegate memory+pids down to the net
                enabled = _read(d / "cgroup.subtree_control").split()
                if not set(CONTROLLERS) <= set(enabled):
                    (d / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in CONTROLLERS))
        for d in self.dirs:
            d.parent.mkdir(exist_ok=True)
            d.mkdir()
        memory = str(self.limits.memory_mb * MIB)
        mem, pids = self._dir("memory"), self._dir("pids")
        if self.version == 2:
            (mem / "memory.max").write_text(memory)
            if (mem / "memory.swap.max").exists():
                (mem / "memory.swap.max").write_text("0")
        else:
            (mem / "memory.limit_in_bytes").write_text(memory)
            if (mem / "memory.memsw.limit_in_bytes").exists():
                (mem / "memory.memsw.limit_in_bytes").write_text(memory)
        (pids / "pids.max").write_text(str(self.limits.pids))

    def _make_scratch(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix=f"suite-{self.name}-"))
        if os.geteuid() == 0:
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.limits.scratch_size_mb}m,mode=0777",
                            "suite-net", str(self.scratch)], check=True, capture_output=True)
            self._mounted = True

    def rearm(self) -> None:
        """Start a new run in this net: the wall clock restarts and breaches count from now
        (the kernel's counters are cumulative, so a run compares against this baseline)."""
        self._started = time.monotonic()
        self._baseline = self._counters()
        self._scratch_full = False

    def close(self) -> None:
        """Kill every process in the net, then remove its cgroup and scratch."""
        self.kill_all()
        if self.scratch is not None:
            if self._mounted:
                subprocess.run(["umount", "-l", str(self.scratch)], capture_output=True)
                self._mounted = False
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None
        waiting.until(self._remove_cgroup, lambda left: not left, timeout=TEARDOWN_S,
                      description=f"the net's cgroup {self.name} to empty and go")

    def _remove_cgroup(self) -> list[str]:
        """One attempt: kill what is in the net, remove its emptied directories; what is left."""
        self.kill_all()
        for d in self.dirs:
            with contextlib.suppress(FileNotFoundError):
                d.rmdir()          # EBUSY (not empty yet) is "not yet" to waiting.until
        return [str(d) for d in self.dirs if d.is_dir()]

    # -- processes ------------------------------------------------------------------------------
    def enter(self) -> None:
        """Move the calling process into the net (a child, between fork and exec)."""
        for d in self.dirs:
            with open(d / "cgroup.procs", "w") as fh:
                fh.write("0")

    def popen(self, argv: Sequence[str], env: Mapping[str, str], **kwargs) -> subprocess.Popen:
        """Start argv inside the net: in its cgroup from before exec, in a session of its
        own, with the scratch as cwd unless told otherwise."""
        kwargs.setdefault("cwd", str(self.scratch))
        return subprocess.Popen(list(argv), env=dict(env), preexec_fn=self.enter,
                                start_new_session=True, **kwargs)

    def pids(self) -> set[int]:
        found: set[int] = set()
        for d in self.dirs:
            found.update(int(p) for p in _read(d / "cgroup.procs").split())
        return found

    def kill_all(self, spare: Iterable[int] = ()) -> None:
        """SIGKILL every process in the net but `spare`, until none is left (a fork bomb
        may respawn between sweeps; pids.max bounds how much)."""
        spared = set(spare)
        end = time.monotonic() + TEARDOWN_S
        kill_file = self.dirs[0] / "cgroup.kill"
        while True:
            left = self.pids() - spared
            if not left:
                return
            if not spared and self.version == 2 and kill_file.exists():
                kill_file.write_text("1")
            else:
                for pid in left:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            if time.monotonic() > end:
                raise NetUnavailable(f"processes {sorted(left)} of the net survived {TEARDOWN_S:g} s of SIGKILL")
            time.sleep(0.01)

    # -- what the net had to stop ------------------------------------------------------------------
    def _counters(self) -> dict[str, int]:
        mem, pids = self._dir("memory"), self._dir("pids")
        oom_file = "memory.events" if self.version == 2 else "memory.oom_control"
        return {"oom_kill": _counter(_read(mem / oom_file), "oom_kill"),
                "pids_max": _counter(_read(pids / "pids.events"), "max")}

    def expired(self) -> bool:
        return time.monotonic() - self._started > self.limits.wall_s

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    def watch(self) -> None:
        """Note what only shows while it lasts (a full scratch the code may empty again);
        the runner calls this while it waits."""
        if self.scratch is not None and self._mounted and not self._scratch_full:
            stat = os.statvfs(self.scratch)
            self._scratch_full = stat.f_bavail * stat.f_frsize < MIB

    def breaches(self) -> list[str]:
        """Which of the net's limits the run since `rearm()` hit, as phrases naming them."""
        self.watch()
        now, was = self._counters(), self._baseline
        found = []
        if now["pids_max"] > was.get("pids_max", 0):
            found.append(f"its pids limit ({self.limits.pids} processes) refused forks")
        if now["oom_kill"] > was.get("oom_kill", 0):
            found.append(f"its memory limit ({self.limits.memory_mb} MiB, which also bounds its scratch tmpfs) "
                         f"OOM-killed a process")
        if self._scratch_full:
            found.append(f"its scratch disk ({self.limits.scratch_size_mb} MiB) filled up")
        if self.expired():
            found.append(f"its wall-time limit ({self.limits.wall_s:g} s) ran out")
        return found
