"""Supervising the embedded stack's processes: start in a process group, stop the whole tree.

Kept apart from stack.py (which decides WHAT runs) because this is HOW any one process is
run and ended: its own process group, a parent-death signal, a log file, and a stop that
leaves nothing behind even when descendants have left the group (sandboxes start
sessions of their own); how one tells it is ready (Readiness, the sd_notify protocol);
and how one that dies on its own is started again (Supervisor).
"""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional, TextIO

LOG_TAIL_LINES = 40


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel's pick for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port. (TIME_WAIT remnants of closed connections do not
    count: every server here binds with SO_REUSEADDR, as this probe does.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def start_time(pid: int) -> Optional[str]:
    """The process's start time in clock ticks (field 22 of /proc/PID/stat): with the pid,
    it names one process even after the pid is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def descendants(pid: int) -> set[tuple[int, str]]:
    """(pid, start time) of every process below `pid`, found through /proc/*/task/*/children.

    A process may end while it is walked (a PostgreSQL backend whose client just left): its
    /proc entry is then gone, and it has no children left to find."""
    found: set[tuple[int, str]] = set()
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            listed = list(Path(f"/proc/{parent}/task").glob("*/children"))
        except OSError:
            continue
        for children in listed:
            try:
                kids = [int(k) for k in children.read_text().split()]
            except OSError:
                continue
            for kid in kids:
                started = start_time(kid)
                if started is not None and (kid, started) not in found:
                    found.add((kid, started))
                    pending.append(kid)
    return found


def kill_if_same(pid: int, started: str) -> None:
    if start_time(pid) == started:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


NOTIFY_SOCKET = "NOTIFY_SOCKET"     # the sd_notify protocol's variable (systemd's name)
READY_MESSAGE = "READY=1"
_UCRED = struct.Struct("3i")        # struct ucred: pid, uid, gid


class Readiness:
    """The receiving end of the sd_notify protocol: a unix datagram socket whose path a
    service finds in NOTIFY_SOCKET and to which it sends READY=1 once it serves.

    PostgreSQL built with systemd support does so by itself; the stack's Celery workers do
    (evalplatform.stack_services). A starter waits on the socket (wait()) instead of sleeping
    between polls, and learns of a worker's readiness without asking the API, whose health
    would otherwise be computed, and cached as degraded, while that worker still starts.
    A message is only a hint: each service's health is still its real check. The sender is
    the pid the kernel attaches (SO_PASSCRED), never what the message claims.
    """

    def __init__(self, path: Path):
        self.path = path
        self.ready_pids: set[int] = set()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            path.unlink(missing_ok=True)    # left by an earlier run of a --data-dir stack
            self._sock.bind(str(path))
        except OSError:
            self._sock.close()
            raise

    @classmethod
    def open(cls, path: Path) -> Optional["Readiness"]:
        """The socket at `path`, or None where one cannot be made (a path too long for a
        unix socket): the starter then polls on a timer alone."""
        try:
            return cls(path)
        except OSError:
            return None

    def wait(self, timeout: float) -> None:
        """Return when a message arrives or `timeout` passes; remember who said READY=1."""
        if select.select([self._sock], [], [], max(timeout, 0))[0]:
            self._drain()

    def _drain(self) -> None:
        space = socket.CMSG_SPACE(_UCRED.size)
        while True:
            try:
                data, ancillary, _, _ = self._sock.recvmsg(4096, space, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return
            for level, kind, payload in ancillary:
                if (level, kind) == (socket.SOL_SOCKET, socket.SCM_CREDENTIALS) \
                        and READY_MESSAGE in data.decode(errors="replace").splitlines():
                    self.ready_pids.add(_UCRED.unpack(payload[:_UCRED.size])[0])

    def said_ready(self, service: "Service") -> bool:
        """Has the service's current process said READY=1?"""
        return service.pid is not None and service.pid in self.ready_pids

    def close(self) -> None:
        """Stop listening (later messages, from a restarted service, go nowhere)."""
        self._sock.close()
        self.path.unlink(missing_ok=True)


def notify_ready() -> bool:
    """The sending end, for a Python service: READY=1 to $NOTIFY_SOCKET, which is then
    removed from this process's environment (its children have no starter to tell).
    False when there is no socket or nobody listens any more."""
    path = os.environ.pop(NOTIFY_SOCKET, None)
    if not path:
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)   # a full queue must never hold the service up
        try:
            sock.sendto(READY_MESSAGE.encode(), path)
        except OSError:
            return False
    return True


class Service:
    """One long-running process of the stack: its command, log file and process group.

    `wanted` is True from start() to stop(): a wanted service that is not alive has died
    on its own, which is what a Supervisor looks for (a stop_service() is not a death).
    """

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict[str, str],
                 stop_signal: int = signal.SIGTERM, cwd: str = "/", supervised: bool = False):
        self.name, self.argv, self.log_path, self.env = name, argv, log_path, env
        self.stop_signal, self.cwd, self.supervised = stop_signal, cwd, supervised
        self.proc: Optional[subprocess.Popen] = None
        self.wanted = False
        self.started_at = 0.0            # monotonic, of the current process
        self.lock = threading.RLock()    # start/stop/restart of this service, one at a time

    def start(self, long_lived_thread: bool = False) -> None:
        """Start the process. The parent-death signal is set when the forking thread lives
        as long as the stack: the main thread, or a Supervisor's (`long_lived_thread`)."""
        argv = self.argv
        if long_lived_thread or threading.current_thread() is threading.main_thread():
            # The signal fires when the thread that forked dies, so only from such a thread.
            # A credential change clears it, so it joins the setpriv that drops to postgres.
            wrapped = argv[1:] if argv[0] == "setpriv" else argv
            argv = ["setpriv", "--pdeathsig", "TERM", *wrapped]
        with self.lock:
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd,
                                             start_new_session=True)
            self.wanted, self.started_at = True, time.monotonic()

    def died(self) -> Optional[int]:
        """The exit status of a wanted process that ended on its own, else None."""
        if not self.wanted or self.proc is None:
            return None
        return self.proc.poll()

    @property
    def pid(self) -> Optional[int]:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def state(self) -> str:
        if self.proc is None:
            return "not started"
        code = self.proc.poll()
        return f"running (pid {self.proc.pid})" if code is None else f"exited {code}"

    def signal(self, sig: int) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout: float = 5) -> None:
        """Ask the group to stop, wait, then SIGKILL the whole group and every descendant.

        Descendants matter: a worker's sandboxes run in sessions of their own, so killing
        the worker's group alone would leave a running evaluation behind.
        """
        with self.lock:
            self.wanted = False
            if self.proc is None:
                return
            self._stop(timeout)

    def _stop(self, timeout: float) -> None:
        below = descendants(self.proc.pid)
        self.signal(self.stop_signal)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        below |= descendants(self.proc.pid)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        for pid, started in below:
            kill_if_same(pid, started)
        self._wait_group_gone(self.proc.pid, timeout=5)
        self.proc = None

    @staticmethod
    def _wait_group_gone(pgid: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.01)

    def restart_after_death(self) -> bool:
        """Start again a wanted process that died (its group's remnants killed first).
        False when it was stopped or restarted meanwhile: nothing to do."""
        with self.lock:
            if self.died() is None:
                return False
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._wait_group_gone(self.proc.pid, timeout=5)
            self.start(long_lived_thread=True)
            return True

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


# ---------------------------------------------------------------------------------------
# Supervision: restart what dies
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RestartPolicy:
    """How a dead service is restarted: after `first_delay_s`, doubling for each death that
    follows a run shorter than `stable_s` (a crash loop), never more often than
    `per_minute` times in any 60 s (then it waits until the oldest restart is a minute old)."""

    first_delay_s: float = 1.0
    max_delay_s: float = 30.0
    stable_s: float = 60.0
    per_minute: int = 5

    def delay(self, quick_deaths: int) -> float:
        return min(self.first_delay_s * 2 ** max(quick_deaths - 1, 0), self.max_delay_s)


@dataclass
class ServiceRecord:
    """What the supervisor knows of one service: published for `state` and /api/health."""

    restarts: int = 0
    state: str = "running"              # running | restarting | held (restart limit)
    last_exit: Optional[int] = None     # exit status (negative: the signal) of the last death
    last_death_at: Optional[str] = None
    last_restart_at: Optional[str] = None
    quick_deaths: int = 0
    recent: deque = field(default_factory=deque)   # monotonic times of restarts, last 60 s
    due: float = 0.0                                # monotonic time of the next restart

    def public(self) -> dict:
        return {"restarts": self.restarts, "state": self.state, "last_exit": self.last_exit,
                "last_death_at": self.last_death_at, "last_restart_at": self.last_restart_at}


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited {code}"


class Supervisor:
    """A thread that restarts the supervised services that die (see RestartPolicy).

    Each death and restart is a line in `log_path` (and `echo`, e.g. up's stderr), and
    every change of the records goes to `publish` (the stack writes them to Redis, where
    `evalplatform state` and /api/health read them); a publish that fails (Redis itself
    restarting) is retried on the next tick. The thread forks the restarted processes, and
    lives until stop(), so they get the parent-death signal like the first ones.
    """

    TICK_S = 0.2

    def __init__(self, services: Callable[[], list[Service]], log_path: Path,
                 publish: Callable[[dict[str, dict]], None],
                 policy: RestartPolicy = RestartPolicy(), echo: Optional[TextIO] = None):
        self.services, self.log_path, self.publish = services, log_path, publish
        self.policy, self.echo = policy, echo
        self.records: dict[str, ServiceRecord] = {}
        self._dirty = True
        self._paused = threading.Event()
        self._ticking = threading.Lock()
        self._end = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="supervisor", daemon=True)

    def start(self) -> "Supervisor":
        for service in self.services():
            if service.supervised:
                self.records.setdefault(service.name, ServiceRecord())
        self._publish()
        self._thread.start()
        return self

    def pause(self) -> None:
        """Restart nothing from now on (the stack is stopping); waits for a tick under way."""
        self._paused.set()
        with self._ticking:
            pass

    def end(self) -> None:
        """End the thread. Only after the services it started are stopped: its end fires
        their parent-death signal."""
        self.pause()
        self._end.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def snapshot(self) -> dict[str, dict]:
        return {name: record.public() for name, record in sorted(self.records.items())}

    def _log(self, message: str) -> None:
        line = f"{_utc_now()} supervisor: {message}"
        with open(self.log_path, "a") as log:
            log.write(line + "\n")
        if self.echo is not None:
            print(line, file=self.echo, flush=True)

    def _publish(self) -> None:
        try:
            self.publish(self.snapshot())
            self._dirty = False
        except Exception as exc:   # Redis restarting: the next tick tries again
            self._dirty = True
            if self.echo is not None:
                print(f"supervisor: restart records not published yet: {exc}", file=self.echo)

    def _loop(self) -> None:
        while not self._end.wait(self.TICK_S):
            with self._ticking:
                if self._paused.is_set():
                    continue
                try:
                    self.tick()
                except Exception as exc:   # never let one bad tick end supervision
                    self._log(f"tick failed: {type(exc).__name__}: {exc}")

    def tick(self) -> None:
        now = time.monotonic()
        for service in self.services():
            if not service.supervised:
                continue
            record = self.records.setdefault(service.name, ServiceRecord())
            code = service.died()
            if code is None:
                if record.state != "running":
                    record.state, self._dirty = "running", True
                continue
            if record.state == "running":
                self._on_death(service, record, code, now)
            if now >= record.due:
                self._restart(service, record, now)
        if self._dirty:
            self._publish()

    def _on_death(self, service: Service, record: ServiceRecord, code: int, now: float) -> None:
        ran = now - service.started_at
        record.quick_deaths = record.quick_deaths + 1 if ran < self.policy.stable_s else 1
        record.last_exit, record.last_death_at = code, _utc_now()
        while record.recent and now - record.recent[0] >= 60:
            record.recent.popleft()
        delay = self.policy.delay(record.quick_deaths)
        if len(record.recent) >= self.policy.per_minute:
            record.state = "held"
            delay = max(delay, record.recent[0] + 60 - now)
            self._log(f"{service.name} {describe_exit(code)} after {ran:.1f}s; restart limit "
                      f"({self.policy.per_minute} a minute) reached, next try in {delay:.1f}s")
        else:
            record.state = "restarting"
            self._log(f"{service.name} {describe_exit(code)} after {ran:.1f}s; "
                      f"restarting in {delay:.1f}s")
        record.due, self._dirty = now + delay, True

    def _restart(self, service: Service, record: ServiceRecord, now: float) -> None:
        if not service.restart_after_death():
            record.state = "running"
            return
        record.restarts += 1
        record.recent.append(now)
        record.state, record.last_restart_at, self._dirty = "running", _utc_now(), True
        self._log(f"{service.name} restarted (pid {service.pid}), restart {record.restarts}")

