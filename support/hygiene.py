"""What an evaluation may leave on the host after it ended: processes, cgroups, directories;
and whether the host's standard device nodes are as they were (host_devices).

Only meaningful when the suite started the platform itself (the embedded stack, same
host). The search goes by the evaluation's id, not by the platform's settings, so the
judge does not share the platform's idea of where things are:
- a process is the evaluation's when its environment holds EVAL_ID=<id> (every sandboxed
  process inherits it) or its command line names the id (the engine's host process is
  started with the run's directory, which is named after it, on its command line);
- a cgroup is the evaluation's when a directory named after the id exists anywhere in the
  first CGROUP_DEPTH levels of /sys/fs/cgroup (v1: every controller; v2: the unified tree);
- a scratch or run directory is the evaluation's when a directory named after the id
  exists in the first DIR_DEPTH levels of a host temp root (TEMP_ROOTS).
Ids are UUIDs, so a name match is the evaluation's and nobody else's.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_DEPTH = 4
# Where a platform keeps per-run host directories (its work root, the code file, bundles).
TEMP_ROOTS = (Path("/var/tmp"), Path("/tmp"), Path("/dev/shm"), Path("/run"), Path("/var/lib"))
DIR_DEPTH = 3


@dataclass
class Remnants:
    """What is left of one evaluation on the host."""

    eval_id: str
    processes: list[str] = field(default_factory=list)   # "pid: command line"
    cgroups: list[str] = field(default_factory=list)
    directories: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.processes or self.cgroups or self.directories)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:       # gone meanwhile, or a kernel thread
        return b""


def processes_naming(eval_id: str) -> list[str]:
    """Host processes whose environment or command line holds the evaluation's id."""
    needle, env_entry = eval_id.encode(), f"EVAL_ID={eval_id}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        cmdline = _read(f"/proc/{entry.name}/cmdline")
        if needle in cmdline or env_entry in _read(f"/proc/{entry.name}/environ").split(b"\0"):
            shown = cmdline.replace(b"\0", b" ").decode(errors="replace")[:200]
            found.append(f"{entry.name}: {shown}")
    return found


def _directories_named(root: Path, name: str, depth: int) -> Iterator[str]:
    """Directories called `name` in the first `depth` levels under `root` (symlinks not followed)."""
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
        except OSError:
            continue
        if entry.name == name:
            yield entry.path
        elif depth > 1:
            yield from _directories_named(Path(entry.path), name, depth - 1)


def remnants_of(eval_id: str) -> Remnants:
    return Remnants(
        eval_id=eval_id,
        processes=processes_naming(eval_id),
        cgroups=list(_directories_named(CGROUP_ROOT, eval_id, CGROUP_DEPTH)),
        directories=[path for root in TEMP_ROOTS for path in _directories_named(root, eval_id, DIR_DEPTH)],
    )


def remnants(eval_ids: Iterable[str]) -> list[Remnants]:
    """The evaluations of which something is left (empty: the host is clean of them)."""
    return [found for found in map(remnants_of, eval_ids) if found]


# The nodes every sandbox is handed (bound in) or may be handed as its stdio: a runtime
# that chowns or chmods what it is given (runsc chowns its stdio to the container's user)
# changes them on the host, for every process of the machine.
HOST_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")


def host_devices() -> dict[str, tuple[int, int, int, int]]:
    """Each standard device node's (owner, group, mode, device number)."""
    found = {}
    for path in HOST_DEVICES:
        try:
            st = os.lstat(path)
        except OSError:
            continue
        found[path] = (st.st_uid, st.st_gid, st.st_mode, st.st_rdev)
    return found


def devices_changed(before: dict, after: dict) -> list[str]:
    """One line per node that is not as it was, saying how."""
    changes = []
    for path, was in before.items():
        now = after.get(path)
        if now is None:
            changes.append(f"{path}: gone")
        elif now != was:
            changes.append(f"{path}: owner {was[0]}:{was[1]} mode {oct(was[2])} -> "
                           f"owner {now[0]}:{now[1]} mode {oct(now[2])}")
    return changes


def restore_devices(before: dict) -> None:
    """Put back the owner and mode of each changed node (root only; best effort): the rest
    of the run, and the machine, need /dev/null to be /dev/null."""
    for path, (uid, gid, mode, rdev) in before.items():
        try:
            st = os.lstat(path)
            if st.st_rdev == rdev and (st.st_uid, st.st_gid, st.st_mode) != (uid, gid, mode):
                os.chown(path, uid, gid, follow_symlinks=False)
                os.chmod(path, stat.S_IMODE(mode))
        except OSError:
            continue
