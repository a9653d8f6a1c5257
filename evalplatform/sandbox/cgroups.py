"""Per-run cgroups: the memory and pids limits, OOM detection, peak memory, and killing.

Each run gets its own cgroup named after its run id under the platform's parent
(`settings.cgroup_parent`). The engine's host process is started INSIDE it (the
runner's launcher shell writes "0" to cgroup.procs, then execs the engine), so everything
the code forks is counted, limited and found again: by the runner, by `Sandbox.kill`
from another thread or process, and by `cleanup_orphans` after a worker died.

Two layouts, chosen by detection:
- v2 (unified, a fresh Debian 12 host): /sys/fs/cgroup/<parent>/<run_id>, controllers
  memory+pids enabled in the parents' cgroup.subtree_control; memory.max, memory.swap.max=0,
  memory.oom.group=1, pids.max; OOM from memory.events, peak from memory.peak, and
  cgroup.kill to kill the whole tree atomically.
- v1 (this machine: memory and pids hierarchies): the same name in each hierarchy;
  memory.limit_in_bytes plus memory.memsw.limit_in_bytes (no swap) where swap accounting
  exists; OOM from memory.oom_control's oom_kill counter, peak from memory.max_usage_in_bytes;
  killing sweeps cgroup.procs until it is empty (pids.max bounds how much can respawn).
"""

from __future__ import annotations

import errno
import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

CGROUP_ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "pids")
# What each controller of a run's cgroup enforces, in /api/platform's words.
CAPABILITIES = {"memory": "memory_limit", "pids": "pids_limit"}
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class CgroupsUnavailable(RuntimeError):
    """The host has no usable memory+pids cgroups (the message says what to enable)."""


def is_run_id(name: str) -> bool:
    return bool(_RUN_ID.match(name or ""))


def check_run_id(run_id: str) -> str:
    """Run ids name cgroups and host directories, so they must be plain names."""
    if not is_run_id(run_id):
        raise ValueError(f"run_id {run_id!r} must match {_RUN_ID.pattern}")
    return run_id


def _read(path: Path, default: str = "") -> str:
    try:
        return path.read_text()
    except OSError:
        return default


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _keyed(text: str, key: str) -> int:
    """The value of `key N` in a flat-keyed cgroup file (memory.events, oom_control)."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key:
            return int(parts[1])
    return 0


@dataclass(frozen=True)
class Hierarchy:
    """Where the platform's cgroups live on this host, and which version they are."""

    version: int                   # 1 or 2
    parent: str                    # settings.cgroup_parent

    # --- layout ---------------------------------------------------------------------
    def parent_dirs(self) -> list[Path]:
        if self.version == 2:
            return [CGROUP_ROOT / self.parent]
        return [CGROUP_ROOT / c / self.parent for c in V1_CONTROLLERS]

    def run_dirs(self, run_id: str) -> list[Path]:
        return [d / check_run_id(run_id) for d in self.parent_dirs()]

    def controllers(self) -> list[str]:
        if self.version == 2:
            return _read(CGROUP_ROOT / "cgroup.controllers").split()
        return [c for c in V1_CONTROLLERS if (CGROUP_ROOT / c).is_dir()]

    def run_ids(self) -> set[str]:
        """Names of the run cgroups that exist now (in any controller)."""
        ids: set[str] = set()
        for d in self.parent_dirs():
            if d.is_dir():
                ids.update(p.name for p in d.iterdir() if p.is_dir() and is_run_id(p.name))
        return ids

    # --- lifecycle ------------------------------------------------------------------
    def ensure_parent(self) -> None:
        """Create the platform's parent cgroup(s) and, on v2, delegate memory+pids to them."""
        for d in self.parent_dirs():
            d.mkdir(exist_ok=True)
        if self.version == 2:
            wanted = " ".join(f"+{c}" for c in V1_CONTROLLERS)
            for d in (CGROUP_ROOT, CGROUP_ROOT / self.parent):
                enabled = _read(d / "cgroup.subtree_control").split()
                if not all(c in enabled for c in V1_CONTROLLERS):
                    _write(d / "cgroup.subtree_control", wanted)

    def create(self, run_id: str, memory_mb: int, pids: int) -> "RunCgroup":
        self.ensure_parent()
        cg = RunCgroup(self, run_id)
        made: list[Path] = []
        try:
            for d in cg.dirs:
                d.mkdir()
                made.append(d)
            self._limit(cg, memory_mb, pids)
        except OSError:
            for d in made:          # only ours, still empty: nothing was started in them
                d.rmdir()
            raise
        return cg

    def _limit(self, cg: "RunCgroup", memory_mb: int, pids: int) -> None:
        limit = str(memory_mb * 1024 * 1024)
        if self.version == 2:
            (d,) = cg.dirs
            _write(d / "memory.max", limit)
            if (d / "memory.swap.max").exists():
                _write(d / "memory.swap.max", "0")
            _write(d / "memory.oom.group", "1")
            _write(d / "pids.max", str(pids))
        else:
            mem, pid = cg.dirs
            _write(mem / "memory.limit_in_bytes", limit)
            if (mem / "memory.memsw.limit_in_bytes").exists():
                _write(mem / "memory.memsw.limit_in_bytes", limit)
            else:
                _write(mem / "memory.swappiness", "0")
            _write(pid / "pids.max", str(pids))


@dataclass(frozen=True)
class RunCgroup:
    hierarchy: Hierarchy
    run_id: str

    @property
    def dirs(self) -> list[Path]:
        return self.hierarchy.run_dirs(self.run_id)

    def exists(self) -> bool:
        return any(d.is_dir() for d in self.dirs)

    def procs_files(self) -> list[str]:
        """Where a process writes "0" to move itself into this run's cgroup(s)."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    def pids(self) -> set[int]:
        found: set[int] = set()
        for d in self.dirs:
            found.update(int(p) for p in _read(d / "cgroup.procs").split())
        return found

    def kill_all(self, deadline_s: float = 5.0) -> bool:
        """SIGKILL every process in the cgroup until it is empty. True if it emptied."""
        end = time.monotonic() + deadline_s
        kill_file = self.dirs[0] / "cgroup.kill"
        while True:
            pids = self.pids()
            if not pids:
                return True
            if self.hierarchy.version == 2 and kill_file.exists():
                _write(kill_file, "1")
            else:
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            if time.monotonic() > end:
                return False
            time.sleep(0.005)

    def oom_killed(self) -> bool:
        d = self.dirs[0]
        if self.hierarchy.version == 2:
            return _keyed(_read(d / "memory.events"), "oom_kill") > 0
        return _keyed(_read(d / "memory.oom_control"), "oom_kill") > 0

    def peak_memory_mb(self) -> Optional[float]:
        d = self.dirs[0]
        name = "memory.peak" if self.hierarchy.version == 2 else "memory.max_usage_in_bytes"
        raw = _read(d / name).strip()
        return round(int(raw) / (1024 * 1024), 1) if raw.isdigit() else None

    def remove(self, deadline_s: float = 5.0) -> None:
        """Kill what is left and remove the cgroup directories (retrying while they drain)."""
        self.kill_all(deadline_s)
        end = time.monotonic() + deadline_s
        for d in self.dirs:
            while d.is_dir():
                try:
                    d.rmdir()
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or time.monotonic() > end:
                        raise
                    time.sleep(0.005)


def detect(parent: str) -> Hierarchy:
    """v2 when /sys/fs/cgroup is the unified hierarchy, else v1 memory+pids hierarchies."""
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        available = _read(CGROUP_ROOT / "cgroup.controllers").split()
        missing = [c for c in V1_CONTROLLERS if c not in available]
        if missing:
            raise CgroupsUnavailable(f"cgroup v2 lacks controllers {missing}; enable them "
                                     "(systemd: Delegate=, or boot with cgroup_enable=memory)")
        return Hierarchy(2, parent)
    missing = [c for c in V1_CONTROLLERS if not (CGROUP_ROOT / c / "cgroup.procs").exists()]
    if missing:
        raise CgroupsUnavailable(f"no cgroup v2 and no v1 hierarchies for {missing} under "
                                 f"{CGROUP_ROOT}; mount them or boot a cgroup v2 host")
    return Hierarchy(1, parent)
