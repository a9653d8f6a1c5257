"""gVisor (opt-in engine): Debian `runsc` running one OCI bundle per run.

Why these choices (docs/gvisor.md has the measurements):
- `--platform=ptrace`: the only platform that works on this host (no /dev/kvm); a start
  costs ~0.15 s for /bin/true, ~0.25 s for `python -c pass`, so gVisor is opt-in.
- `--network=none`: the Sentry's own netstack with nothing but `lo`.
- `--ignore-cgroups`: runsc would otherwise move its sandbox and gofer into a cgroup of
  its own named after the container; left alone they stay in the run's cgroup, where the
  runner starts `runsc run`, so the memory limit, OOM detection and killing by cgroup
  cover the Sentry, the gofer and the ptrace stubs that run the program's code.
- `--oci-seccomp`: the Sentry enforces the spec's seccomp filter on the program itself,
  so the platform's deny list (sandbox/seccomp.py) holds here as in the other engines,
  and /proc/self/status shows `Seccomp: 2`. (The Sentry itself runs under gVisor's own
  host seccomp filter regardless.)
- `--file-access-mounts=exclusive`: the read-only binds never change during a run, so
  the Sentry may cache them instead of revalidating every lookup through the gofer.
- The state dir (`--root`), the bundle and the empty read-only rootfs live in the run's
  workdir; the container id is derived from the run id and workdir, so `kill` and
  `cleanup` find the same container without any state of their own.
- The program's own limits are set inside the Sentry: RLIMIT_FSIZE, RLIMIT_NPROC (the
  Sentry counts the program's tasks; the host cgroup's pids.max must also leave room for
  gVisor's own threads and its per-process stubs, see `host_pids`) and RLIMIT_CPU (set,
  but this gVisor release does not enforce it; the wall-clock timeout bounds CPU).
- Exit status: `runsc run` exits with the program's status, 128+N when signal N killed
  it (a self-SIGKILL gives 137; gVisor's pid 1 is not shielded from its own signals the
  way a Linux namespace init is), which Engine.decode_exit already reads. A runsc
  failure before the program ran is told apart by runsc's log (`setup_error`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Optional

from evalplatform.run import Limits, RunRequest
from evalplatform.sandbox import hostview, seccomp
from evalplatform.sandbox.engines.base import ISOLATION, Availability, Launch, RunPlan, plan_layout

BUNDLE_NAME = "gvisor-bundle"
STATE_NAME = "gvisor-state"
LOG_NAME = "runsc.log"
PANIC_LOG_NAME = "runsc-panic.log"    # the Go runtime's own fatal errors (a Sentry crash)
RUNSC_FLAGS = ("--network=none", "--platform=ptrace", "--ignore-cgroups", "--oci-seccomp",
               "--file-access-mounts=exclusive")
# syslog(2) inside gVisor reads the Sentry's own synthetic kernel log ("Starting
# gVisor..."), nothing of the host's, and is the sign the suite uses to recognise gVisor.
ALLOWED_INSIDE_GVISOR = frozenset({"syslog"})
# Host tasks of runsc, its gofer and the Sentry (Go runtimes) before the program forks:
# measured 55 for an idle program. Each process of the program adds a ptrace stub and
# Sentry threads: measured peaks of 89, 247 and 921 host tasks for fork bombs held to
# 4, 16 and 64 processes (~13 per process).
HOST_TASKS_BASE = 64
HOST_TASKS_PER_PROCESS = 16
# What the Sentry, the gofer and `runsc run` themselves hold in the run's memory cgroup
# (measured ~20 MB idle, ~28 MB next to a growing program).
HOST_MEMORY_MB = 48
COMMAND_TIMEOUT_S = 10
SYSTEM_BIN = "/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin"
PROBE_TIMEOUT_S = 30


def runsc_binary() -> Optional[str]:
    return shutil.which("runsc", path=SYSTEM_BIN)


def container_id(plan: RunPlan) -> str:
    """Unique on the host (runsc's control socket is named after it) and the same for
    every call on one plan: the run id plus a hash of the run's private workdir."""
    digest = hashlib.sha256(plan.workdir.encode()).hexdigest()[:8]
    return f"evalplatform-{re.sub(r'[^A-Za-z0-9_.-]', '_', plan.run_id)[:80]}-{digest}"


def state_dir(plan: RunPlan) -> Path:
    return Path(plan.workdir) / STATE_NAME


def _seccomp_profile() -> dict:
    denied = [n for n in seccomp.DENIED_SYSCALLS if n not in ALLOWED_INSIDE_GVISOR]
    return {"defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": denied, "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}


def _rlimits(limits: Limits) -> list[dict]:
    size = limits.file_size_mb * 1024 * 1024
    values = [("RLIMIT_FSIZE", size), ("RLIMIT_NPROC", limits.pids), ("RLIMIT_CORE", 0)]
    if limits.cpu_time_s > 0:
        values.append(("RLIMIT_CPU", limits.cpu_time_s))
    return [{"type": name, "soft": value, "hard": value} for name, value in values]


def _tmpfs(destination: str, size_mb: int, options: tuple[str, ...]) -> dict:
    return {"destination": destination, "type": "tmpfs", "source": "tmpfs",
            "options": [f"size={size_mb}m", "nosuid", "nodev", *options]}


def _ro_bind(source: str, destination: str) -> dict:
    return {"destination": destination, "type": "bind", "source": source,
            "options": ["rbind", "ro", "nosuid", "nodev"]}


def _make_rootfs(plan: RunPlan, rootfs: Path) -> list[dict]:
    """An empty directory as the read-only root: mount points made here (0755, root) and
    host symlinks (merged-/usr /bin, /lib, ...) recreated as symlinks. Returns the bind
    mounts, parents before children."""
    rootfs.mkdir(mode=0o755)
    mounts = []
    layout = sorted(plan_layout(plan), key=lambda m: m.path.count("/"))   # masks, code incl.
    for mount in layout:
        inside = rootfs / mount.path.lstrip("/")
        inside.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        if mount.kind == "symlink":
            inside.symlink_to(mount.target)
        else:
            inside.mkdir(mode=0o755, exist_ok=True)
            mounts.append(_ro_bind(mount.host_path, mount.path))
    for inside in (plan.inside_code_dir, plan.scratch_dir, "/tmp"):
        (rootfs / inside.lstrip("/")).mkdir(mode=0o755, parents=True, exist_ok=True)
    return mounts


# gVisor's own /dev also opens full, fuse, net/tun and pts/ptmx, and runsc ignores a mount
# over /dev itself or /dev/pts: an empty read-only tmpfs goes over /dev/net and an empty,
# unreadable file (the bundle's DEVICE_MASK) over each of the others, so that, as under the
# other engines, only null, zero, random and urandom can be opened.
MASKED_DEVICE_DIRS = ("/dev/net",)
MASKED_DEVICES = ("/dev/full", "/dev/fuse", "/dev/pts/ptmx")
DEVICE_MASK = "device-mask"


def device_masks(mask: str) -> list[dict]:
    return ([{"destination": d, "type": "tmpfs", "source": "tmpfs", "options": ["size=4k", "mode=0555", "ro"]}
             for d in MASKED_DEVICE_DIRS]
            + [{"destination": f, "type": "bind", "source": mask, "options": ["bind", "ro"]} for f in MASKED_DEVICES])


def oci_config(plan: RunPlan, mounts: list[dict], device_mask: str | None = None) -> dict:
    limits = plan.limits
    scratch = _tmpfs(plan.scratch_dir, limits.scratch_mb,
                     ("mode=0700", f"uid={plan.uid}", f"gid={plan.gid}"))
    # runsc mounts an unbounded tmpfs at /tmp unless the spec has one (a symlink to the
    # scratch, as the other engines make, is mounted over): a second one of the same size.
    tmp = _tmpfs("/tmp", limits.scratch_mb, ("mode=1777",))
    return {
        "ociVersion": "1.0.2",
        "process": {
            "user": {"uid": plan.uid, "gid": plan.gid},
            "args": list(plan.program),
            "env": [f"{k}={v}" for k, v in plan.env.items()],
            "cwd": plan.scratch_dir,
            "capabilities": {"bounding": [], "effective": [], "inheritable": [],
                             "permitted": [], "ambient": []},
            "noNewPrivileges": True,
            "rlimits": _rlimits(limits),
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": plan.hostname,
        # /proc, /dev and /sys are the Sentry's own, added by runsc.
        "mounts": [*mounts, scratch, tmp, *hostview.oci_mounts(),
                   *(device_masks(device_mask) if device_mask else [])],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "seccomp": _seccomp_profile(),
        },
    }


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _runsc(plan: RunPlan, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([runsc_binary(), "--root", str(state_dir(plan)), *args],
                          capture_output=True, text=True, env={}, timeout=COMMAND_TIMEOUT_S)


@lru_cache(maxsize=1)
def _version() -> str:
    done = subprocess.run([runsc_binary(), "--version"], capture_output=True, text=True,
                          env={}, timeout=COMMAND_TIMEOUT_S)
    first = done.stdout.splitlines()[0] if done.stdout else ""
    return first.removeprefix("runsc version ").strip()


class GVisorEngine:
    """An Engine and a ResidentRuntime (engines/base.py). The runner's host rlimits would
    bind the Sentry, not the program: RLIMIT_FSIZE caps the Sentry's own memory file (it
    cannot even map the vDSO) and RLIMIT_CPU counts the Sentry's work for every syscall.
    The program gets its limits from the spec instead."""

    name = "gvisor"
    capabilities = ISOLATION | {"gvisor"}

    def availability(self) -> Availability:
        return _availability()

    def launch(self, plan: RunPlan) -> Launch:
        bundle = Path(plan.workdir) / BUNDLE_NAME
        bundle.mkdir(mode=0o711)
        mounts = _make_rootfs(plan, bundle / "rootfs")
        mask = bundle / DEVICE_MASK
        mask.touch(mode=0o000)
        (bundle / "config.json").write_text(json.dumps(oci_config(plan, mounts, str(mask)), indent=1))
        state_dir(plan).mkdir(mode=0o700)
        return Launch([runsc_binary(), "--root", str(state_dir(plan)),
                       "--log", str(Path(plan.workdir) / LOG_NAME),
                       "--panic-log", str(Path(plan.workdir) / PANIC_LOG_NAME), *RUNSC_FLAGS,
                       "run", "--bundle", str(bundle), container_id(plan)])

    def host_pids(self, limits: Limits) -> int:
        """The run's cgroup also holds `runsc run`, the gofer and the Sentry (Go runtimes,
        ~55 host tasks) and, per process of the program, a ptrace stub and Sentry threads
        (~13 host tasks each). The program itself is held to limits.pids inside, by
        RLIMIT_NPROC; hitting the host pids.max would instead crash the Sentry (a Go
        runtime that cannot make a thread), which setup_error reports."""
        return HOST_TASKS_BASE + HOST_TASKS_PER_PROCESS * limits.pids

    def host_memory_mb(self, limits: Limits) -> int:
        """The program's memory is the Sentry's (its memory file is charged to the run's
        cgroup), next to what the Sentry, the gofer and `runsc run` hold themselves."""
        return limits.memory_mb + HOST_MEMORY_MB

    def setup_error(self, plan: RunPlan) -> Optional[str]:
        """Why gVisor itself failed, or None. runsc logs a failure to create or start the
        container (bad bundle, a bind it cannot make, a program it cannot load) as
        "running container: ..." among warnings; a crash of the Sentry or gofer (e.g. a Go
        runtime that could not make a thread) lands in the panic log. A program's own
        failure leaves neither."""
        workdir = Path(plan.workdir)
        log = _read(workdir / LOG_NAME)
        fatal = [line for line in log.splitlines() if "running container:" in line]
        if fatal:
            return "runsc failed before running the program: " + " | ".join(fatal[-3:])
        panic = [line for line in _read(workdir / PANIC_LOG_NAME).splitlines()
                 if line.startswith(("fatal error:", "panic:", "runtime:"))]
        if panic:
            return "the gVisor sandbox crashed: " + " | ".join(panic[:3])
        return None

    def kill(self, plan: RunPlan) -> None:
        """Ask the Sentry to SIGKILL every process of the container (the runner then kills
        the cgroup, which ends the Sentry, the gofer and `runsc run` themselves)."""
        if state_dir(plan).is_dir():
            try:
                _runsc(plan, "kill", "--all", container_id(plan), "KILL")
            except subprocess.TimeoutExpired:
                pass

    def cleanup(self, plan: RunPlan) -> None:
        """`runsc delete --force` when the run left a container record (a killed run),
        then the state dir; a run that ended normally leaves an empty state dir."""
        state = state_dir(plan)
        if state.is_dir() and any(state.iterdir()):
            try:
                _runsc(plan, "delete", "--force", container_id(plan))
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(state, ignore_errors=True)


@lru_cache(maxsize=1)
def _availability() -> Availability:
    """runsc present, root, and a real tiny container starts. Cached per process: it
    costs one container start (~0.3 s)."""
    engine = GVisorEngine()
    if not runsc_binary():
        return Availability(False, detail="runsc not found: apt-get install runsc (gVisor)")
    version = _version()
    if os.geteuid() != 0:
        return Availability(False, version, "runsc here runs as root (no rootless setup)")
    with tempfile.TemporaryDirectory(prefix="evalplatform-gvisor-probe-") as workdir:
        code = Path(workdir) / "code"
        code.mkdir()
        plan = RunPlan(request=RunRequest(run_id="availability", code=""),
                       program=["/bin/true"], env={"PATH": "/usr/bin:/bin"},
                       ro_binds=["/usr", "/bin", "/lib", "/lib64"], code_dir=str(code),
                       workdir=workdir)
        try:
            # input="": stdin is an empty pipe. runsc hands its stdio to the container
            # user, so an inherited /dev/null would end up owned by uid 65534.
            done = subprocess.run(engine.launch(plan).argv, capture_output=True, text=True,
                                  input="", env={}, cwd=workdir, timeout=PROBE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            engine.kill(plan)
            return Availability(False, version, "a tiny runsc container did not finish in "
                                f"{PROBE_TIMEOUT_S}s")
        finally:
            engine.cleanup(plan)
        if done.returncode != 0:
            why = engine.setup_error(plan) or done.stderr.strip()[-300:]
            return Availability(False, version, f"runsc cannot start a container here "
                                f"(exit {done.returncode}: {why}); it needs root and the "
                                "ptrace platform (ptrace not blocked by seccomp/Yama)")
    return Availability(True, version)
