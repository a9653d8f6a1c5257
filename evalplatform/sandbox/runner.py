"""One supervision loop for every engine: cgroup, pipes, caps, clock, cancel, kill, verdict.

The engine only says which host process isolates the program (engines/*.py). Around it
this module:
1. writes the code to a per-run host dir ({work_root}/{run_id}, code readable only by
   root and group 65534) and creates the run's cgroup (cgroups.py);
2. starts the engine's host process INSIDE that cgroup: a tiny `sh` launcher writes "0"
   to the run's cgroup.procs, sets RLIMIT_CPU/FSIZE/CORE/NOFILE (inherited by the program
   through every engine but gVisor, which sets them inside) and execs the engine in place,
   so nothing can escape by forking early (see SHIM);
3. reads stdout and stderr with poll() in non-blocking chunks so neither pipe can fill
   and stall the program or the worker; each stream keeps at most its cap, and going
   over it kills the run with reason `output_limit` (the kept prefix is returned and the
   stream's truncated flag set) — a flood ends quickly instead of occupying the worker;
4. polls should_cancel (~every 50 ms), the wall clock and a "killed" marker that
   `kill_run` leaves for kills from another thread or process;
5. kills the whole tree: SIGKILL to the engine process, then to every process of the
   cgroup until it is empty (once a pid namespace's init dies the kernel kills the rest
   of it too) — a SIGTERM-ignoring program and a double-forked daemon die the same way;
6. after the engine ends, drains the pipes to EOF so output written just before exit is
   complete, reads OOM kills and peak memory from the cgroup, removes the cgroup and the
   host dir. No cgroup and no process outlives run().

Exit status: engines report the program's status as their own (tini and bwrap's pid 1
both use 128+N for a program killed by signal N), decoded by engines.base.decode_exit. A
program that itself exits 129..192 is thus indistinguishable from one killed by
signal N-128, the same convention as shells, Docker and Kubernetes.
"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import signal
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from evalplatform import failpoints
from evalplatform.contract import (REASON_KILLED, REASON_MEMORY, REASON_NONZERO_EXIT,
                                   REASON_OUTPUT_LIMIT, REASON_SANDBOX_ERROR, REASON_TIMEOUT)
from evalplatform.run import STDERR, STDOUT, CancelCheck, OutputCallback, RunRequest, RunResult
from evalplatform.sandbox.cgroups import Hierarchy, RunCgroup, check_run_id, is_run_id
from evalplatform.sandbox.engines.base import (EMPTY_DIR_NAME, Engine, ResidentRuntime, RunPlan,
                                               decode_exit)
from evalplatform.sandbox.environments import get_environment
from evalplatform.sandbox.errors import SandboxError
from evalplatform.settings import Settings

# What this supervision enforces on every run, in /api/platform's words.
CAPABILITIES = ("timeout", "output_limit", "output_streaming", "cancellation")
# Directories of the host's root every sandbox gets read-only (symlinks recreated).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SANDBOX_GID = 65534
KILLED_MARKER = "killed"
DELEGATED_CGROUPS = "delegated-cgroups"     # the `cgroup_delegated` failpoint's binds, for the engine
OWNER_LOCK = "owner.lock"
POLL_INTERVAL_S = 0.05
CHUNK = 65536
DRAIN_DEADLINE_S = 5.0
# Failpoints that lift a limit keep a backstop so a self-test cannot harm the shared host:
# the lifted limit times this factor (pids, output caps); memory: no cgroup limit to speak
# of, and an address-space rlimit instead (MemoryError, never an OOM kill of the host).
FAILPOINT_BACKSTOP = 4
FAILPOINT_NO_MEMORY_LIMIT_MB = 1 << 20
FAILPOINT_ADDRESS_SPACE_MB = 1024
FAILPOINT_SAMPLE_S = 0.5


def run_dir(settings: Settings, run_id: str) -> Path:
    return Path(settings.work_root) / check_run_id(run_id)


def kill_run(hierarchy: Hierarchy, settings: Settings, run_id: str) -> bool:
    """Kill a run's whole tree by its cgroup; works from any thread or process on the host.

    The marker tells the supervising runner that the end was a kill (reason "killed"),
    not the program's own doing."""
    cgroup = RunCgroup(hierarchy, check_run_id(run_id))
    if not cgroup.exists():
        return False
    try:
        (run_dir(settings, run_id) / KILLED_MARKER).touch()
    except FileNotFoundError:
        pass
    cgroup.kill_all()
    return True


@dataclass
class _Stream:
    name: str
    cap: int
    data: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    open: bool = True

    def take(self, chunk: bytes) -> bytes:
        """Keep what fits under the cap; return the kept part (for live output)."""
        room = self.cap - len(self.data)
        kept = chunk[:max(room, 0)]
        self.data += kept
        if len(chunk) > len(kept):
            self.truncated = True
        return kept


# Started (by vfork+exec, cheap even from a large worker) as `sh -c SHIM sh PROCS... --
# [ULIMITS] ENGINE-ARGV...`: the shell moves itself into the run's cgroup(s), sets the
# rlimits and execs the engine in place (same pid), before anything can fork. A Python
# preexec_fn would do the same but forces a full fork() of the worker: measured 5 ms for a
# 30 MB process and 50 ms for a 300 MB one, against ~2 ms for this shim.
SHIM = ('while [ "$1" != -- ]; do echo 0 > "$1" || exit 125; shift; done; shift; '
        'while [ "$1" != -- ]; do ulimit $1 $2 || exit 125; shift 2; done; shift; exec "$@"')


def _ulimit_args(limits) -> list[str]:
    """The program's rlimits as `ulimit` options/values for the shim. RLIMIT_CPU's hard
    limit is a second above the soft one, so the program first gets SIGXCPU (reported as
    reason timeout) rather than an anonymous SIGKILL. POSIX sh counts -f in 512-byte blocks."""
    return ["-St", str(limits.cpu_time_s), "-Ht", str(limits.cpu_time_s + 1),
            "-f", str(limits.file_size_mb * 2048), "-c", "0", "-n", "1024",
            *(["-v", str(FAILPOINT_ADDRESS_SPACE_MB * 1024)] if failpoints.active("no_memory_limit") else [])]


def _timeout_factor() -> float:
    """1, or what the timeout failpoints make of the limit (stopped at twice it, or at half)."""
    if failpoints.active("timeout_doubled"):
        return 2.0
    if failpoints.active("timeout_early"):
        return 0.5
    return 1.0


class _Supervisor:
    """One run of one engine process: everything between start and verdict."""

    def __init__(self, engine: Engine, plan: RunPlan, cgroup: RunCgroup,
                 on_output: Optional[OutputCallback], should_cancel: Optional[CancelCheck]):
        self.engine, self.plan, self.cgroup = engine, plan, cgroup
        self.on_output, self.should_cancel = on_output, should_cancel
        self.kill_reason: Optional[str] = None
        self.streams: dict[int, _Stream] = {}

    def start(self) -> subprocess.Popen:
        launch = self.engine.launch(self.plan)
        # A resident runtime (gVisor) sets the program's rlimits inside; on the host they
        # would bind the runtime.
        ulimits = [] if isinstance(self.engine, ResidentRuntime) else _ulimit_args(self.plan.limits)
        argv = ["/bin/sh", "-c", SHIM, "sh", *self.cgroup.procs_files(), "--", *ulimits, "--",
                *launch.argv]
        # stdin is an empty pipe, never the host's /dev/null: runsc hands its stdio to the
        # container user, and a shared /dev/null would end up owned by uid 65534.
        stdin_r, stdin_w = os.pipe()
        os.close(stdin_w)
        try:
            return subprocess.Popen(
                argv, stdin=stdin_r, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env={}, cwd=self.plan.workdir,
                pass_fds=launch.pass_fds, start_new_session=True)
        finally:
            os.close(stdin_r)
            for fd in launch.pass_fds:
                os.close(fd)

    def kill(self, proc: subprocess.Popen, reason: str) -> None:
        if self.kill_reason is None:
            self.kill_reason = reason
        if isinstance(self.engine, ResidentRuntime):
            self.engine.kill(self.plan)
        if proc.poll() is None:
            proc.kill()
        self.cgroup.kill_all()

    def _read(self, fd: int) -> None:
        stream = self.streams[fd]
        try:
            chunk = os.read(fd, CHUNK)
        except BlockingIOError:
            return
        if not chunk:
            stream.open = False
            return
        if stream.name == STDERR and failpoints.active("stderr_merged"):
            stream = next(s for s in self.streams.values() if s.name == STDOUT)   # 2>&1
        kept = stream.take(chunk)
        if kept and self.on_output:
            self.on_output(stream.name, kept)

    def supervise(self, proc: subprocess.Popen) -> int:
        limits = self.plan.limits
        caps = (limits.stdout_bytes, limits.stderr_bytes)
        if failpoints.active("output_cap_off"):
            caps = tuple(c * FAILPOINT_BACKSTOP for c in caps)
        if failpoints.active("stderr_cap_off"):
            caps = (caps[0], caps[1] * FAILPOINT_BACKSTOP)
        self.streams = {proc.stdout.fileno(): _Stream(STDOUT, caps[0]),
                        proc.stderr.fileno(): _Stream(STDERR, caps[1])}
        poller = select.poll()
        for fd in self.streams:
            os.set_blocking(fd, False)
            poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        deadline = time.monotonic() + limits.timeout_s * _timeout_factor()
        marker = Path(self.plan.workdir) / KILLED_MARKER
        ended_at: Optional[float] = None
        # Until the engine has exited AND both pipes are at EOF (a program may close its
        # stdout and stderr and keep running: the clock and cancellation still apply).
        while any(s.open for s in self.streams.values()) or proc.poll() is None:
            if failpoints.active("fast_exit_output_dropped"):
                # A sampling reader that stops at the engine's exit: what the program wrote
                # since the last sample is never read.
                time.sleep(FAILPOINT_SAMPLE_S)
                if proc.poll() is not None:
                    break
            if any(s.open for s in self.streams.values()):
                for fd, _ in poller.poll(POLL_INTERVAL_S * 1000):
                    self._read(fd)
                    if not self.streams[fd].open:
                        poller.unregister(fd)
            else:                   # both at EOF: the engine is exiting; don't oversleep it
                try:
                    proc.wait(POLL_INTERVAL_S)
                except subprocess.TimeoutExpired:
                    pass
            if self.kill_reason is None:
                if any(s.truncated for s in self.streams.values()):
                    self.kill(proc, REASON_OUTPUT_LIMIT)
                elif time.monotonic() >= deadline and not failpoints.active("no_timeout_kill"):
                    self.kill(proc, REASON_TIMEOUT)
                elif (self.should_cancel and self.should_cancel()) or marker.exists():
                    self.kill(proc, REASON_KILLED)
            if ended_at is None and proc.poll() is not None:
                # The engine ended; whatever it left behind (daemons holding the pipes)
                # is swept so the pipes reach EOF after their last bytes are read.
                ended_at = time.monotonic()
                self.cgroup.kill_all()
            elif ended_at is not None and time.monotonic() - ended_at > DRAIN_DEADLINE_S:
                raise SandboxError(f"run {self.plan.run_id}: pipes still open after exit")
        if marker.exists() and self.kill_reason is None:
            self.kill_reason = REASON_KILLED
        self.cgroup.kill_all()
        return proc.wait()

    def verdict(self, returncode: int) -> tuple[Optional[int], Optional[int], Optional[str]]:
        exit_code, sig = decode_exit(returncode)
        if failpoints.active("exit_status_flattened") and (sig is not None or exit_code):
            exit_code, sig = 1, None           # every failure reads "exit 1", no signal
        if self.kill_reason:
            return exit_code, sig, self.kill_reason
        if self.cgroup.oom_killed():
            return exit_code, sig, REASON_MEMORY
        setup_error = self.engine.setup_error(self.plan)
        if setup_error:
            raise _SetupFailed(setup_error)
        if sig == signal.SIGXCPU:
            return exit_code, sig, REASON_TIMEOUT       # RLIMIT_CPU: out of CPU time
        if sig is not None or exit_code != 0:
            return exit_code, sig, REASON_NONZERO_EXIT
        return exit_code, sig, None


class _SetupFailed(Exception):
    pass


def _claim_workdir(hierarchy: Hierarchy, settings: Settings, run_id: str) -> tuple[Path, int]:
    """Create {work_root}/{run_id} and hold an flock on its `owner` file for the run.

    The lock dies with its process, so when the dir already exists the lock tells a run
    still going (SandboxError) from the leftovers of a worker that died mid-run (a retry
    of the same evaluation on this host): those are cleaned and the run proceeds."""
    root = Path(settings.work_root)
    root.mkdir(mode=0o711, parents=True, exist_ok=True)
    workdir = run_dir(settings, run_id)
    for _ in range(2):
        try:
            workdir.mkdir(mode=0o711)
        except FileExistsError:
            if not _owner_is_gone(workdir):
                raise SandboxError(f"run {run_id} is already running on this host") from None
            RunCgroup(hierarchy, run_id).remove()
            shutil.rmtree(workdir, ignore_errors=True)
            continue
        lock = os.open(workdir / OWNER_LOCK, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)
        return workdir, lock
    raise SandboxError(f"run {run_id}: could not claim {workdir}")


def _owner_is_gone(workdir: Path) -> bool:
    try:
        fd = os.open(workdir / OWNER_LOCK, os.O_WRONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False                      # its owner is between mkdir and locking
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def _write_code(workdir: Path, code: str) -> None:
    """{workdir}/code/main.py, readable by root and the sandbox's group only, and the
    empty directory that masks paths (RunPlan.masked)."""
    (workdir / EMPTY_DIR_NAME).mkdir(mode=0o555)
    code_dir = workdir / "code"
    code_dir.mkdir(mode=0o750)
    main = code_dir / "main.py"
    main.write_text(code)
    for path, mode in ((code_dir, 0o750), (main, 0o640)):
        os.chown(path, 0, SANDBOX_GID)
        os.chmod(path, mode)


def _delegate(cgroup: RunCgroup, plan: RunPlan) -> None:
    """The `cgroup_delegated` failpoint: the run's cgroup files become the sandbox user's
    (the engine then shows it /sys/fs/cgroup), so the code could raise its own limits."""
    binds = []
    for directory in cgroup.dirs:
        for path in (directory, *directory.iterdir()):
            os.chown(path, plan.uid, plan.gid)
        # Shown as the root of its controller, as a container with its own cgroup sees it.
        binds.append(f"{directory}:/sys/fs/cgroup/{directory.relative_to('/sys/fs/cgroup').parts[0]}")
    (Path(plan.workdir) / DELEGATED_CGROUPS).write_text("\n".join(binds))


def _host_dirs(settings: Settings) -> list[str]:
    """The `host_dirs_bound` failpoint's extra binds: the host's configuration, homes,
    service data and sockets, the project and the stacks' directories, read-only."""
    project = str(Path(__file__).resolve().parents[2])
    return [d for d in ("/etc", "/home", "/var/lib", "/run", "/dev/shm", project)
            if os.path.isdir(d)]


def build_plan(request: RunRequest, settings: Settings, workdir: Path) -> RunPlan:
    env = get_environment("python" if failpoints.active("environment_ignored") else request.environment,
                          settings)
    scratch = "/scratch"
    variables = {"PATH": f"{os.path.dirname(env.interpreter)}:/usr/bin:/bin", "HOME": scratch,
                 "LANG": "C.UTF-8", "EVAL_ID": request.run_id}
    if failpoints.active("eval_id_not_exported"):
        del variables["EVAL_ID"]
    if failpoints.active("env_not_cleared"):
        variables = {**os.environ, **variables}       # the worker's environment leaks in
    return RunPlan(
        request=request,
        program=[env.interpreter, *env.flags, "/eval/main.py"],
        env=variables,
        ro_binds=[*(_host_dirs(settings) if failpoints.active("host_dirs_bound") else []),
                  *SYSTEM_PATHS, *env.ro_binds],
        code_dir=str(workdir / "code"),
        inside_code_dir="/eval",
        scratch_dir=scratch,
        workdir=str(workdir),
        masked=list(env.masked),
        **({"uid": 0, "gid": 0} if failpoints.active("runs_as_root") else {}),   # still without capabilities
    )


def run(engine: Engine, hierarchy: Hierarchy, settings: Settings, request: RunRequest,
        on_output: Optional[OutputCallback] = None,
        should_cancel: Optional[CancelCheck] = None) -> RunResult:
    # A malformed run id or an unknown environment fails here, before anything is made.
    plan = build_plan(request, settings, run_dir(settings, request.run_id))
    with ExitStack() as undo:               # unwound in reverse, each step even if one fails
        workdir, owner_lock = _claim_workdir(hierarchy, settings, request.run_id)
        undo.callback(os.close, owner_lock)             # released last, after the cleanup
        undo.callback(shutil.rmtree, workdir, ignore_errors=True)
        _write_code(workdir, request.code)
        memory_mb, pids = plan.limits.memory_mb, plan.limits.pids
        if isinstance(engine, ResidentRuntime):
            undo.callback(engine.cleanup, plan)
            memory_mb, pids = engine.host_memory_mb(plan.limits), engine.host_pids(plan.limits)
        if failpoints.active("no_memory_limit"):
            memory_mb = FAILPOINT_NO_MEMORY_LIMIT_MB
        if failpoints.active("no_pids_limit"):
            pids *= FAILPOINT_BACKSTOP
        cgroup = hierarchy.create(request.run_id, memory_mb, pids)
        undo.callback(cgroup.remove)
        if failpoints.active("cgroup_delegated"):
            _delegate(cgroup, plan)
        supervisor = _Supervisor(engine, plan, cgroup, on_output, should_cancel)
        started = time.monotonic()
        proc = undo.enter_context(supervisor.start())   # Popen's exit closes the pipes, waits
        try:
            returncode = supervisor.supervise(proc)
        finally:
            if proc.poll() is None:
                supervisor.kill(proc, REASON_SANDBOX_ERROR)
        runtime_ms = int((time.monotonic() - started) * 1000)
        try:
            exit_code, sig, reason = supervisor.verdict(returncode)
        except _SetupFailed as failed:
            exit_code, sig, reason = None, None, REASON_SANDBOX_ERROR
            supervisor.streams[proc.stderr.fileno()].data += f"\n[sandbox] {failed}\n".encode()
        out, err = (supervisor.streams[p.fileno()] for p in (proc.stdout, proc.stderr))
        encoding = "latin-1" if failpoints.active("output_decoded_latin1") else "utf-8"
        return RunResult(
            exit_code=exit_code, signal=sig, reason=reason,
            stdout=out.data.decode(encoding, "replace"), stderr=err.data.decode(encoding, "replace"),
            stdout_truncated=out.truncated, stderr_truncated=err.truncated,
            runtime_ms=runtime_ms, max_rss_mb=cgroup.peak_memory_mb(), engine=engine.name)


def cleanup_orphans(hierarchy: Hierarchy, settings: Settings,
                    active_run_ids: Optional[set[str]] = None,
                    min_age_s: float = 0.0) -> list[str]:
    """Kill and remove every run cgroup and run dir whose run is not active.

    A run dir without a cgroup is a worker that died between the two. `min_age_s` spares
    runs created less than that long ago (another worker may be starting one it has not
    yet recorded as running)."""
    active = active_run_ids or set()
    work_root = Path(settings.work_root)
    dirs = ({p.name for p in work_root.iterdir() if p.is_dir() and is_run_id(p.name)}
            if work_root.is_dir() else set())
    now = time.time()
    cleaned = []
    for run_id in sorted((hierarchy.run_ids() | dirs) - active):
        cgroup = RunCgroup(hierarchy, run_id)
        paths = [*cgroup.dirs, work_root / run_id]
        born = min((p.stat().st_mtime for p in paths if p.exists()), default=now)
        if now - born < min_age_s:
            continue
        cgroup.remove()
        shutil.rmtree(work_root / run_id, ignore_errors=True)
        cleaned.append(run_id)
    return cleaned
