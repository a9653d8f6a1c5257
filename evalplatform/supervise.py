"""Supervising the embedded stack's processes: start in a process group, stop the whole tree.

Kept apart from stack.py (which decides WHAT runs) because this is HOW any one process is
run and ended: its own process group, a parent-death signal, a log file, and a stop that
leaves nothing behind even when descendants have left the group (sandboxes start
sessions of their own).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Optional

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
    """(pid, start time) of every process below `pid`, found through /proc/*/task/*/children."""
    found: set[tuple[int, str]] = set()
    pending = [pid]
    while pending:
        parent = pending.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
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


class Service:
    """One long-running process of the stack: its command, log file and process group."""

    def __init__(self, name: str, argv: list[str], log_path: Path, env: dict[str, str],
                 stop_signal: int = signal.SIGTERM, cwd: str = "/"):
        self.name, self.argv, self.log_path, self.env = name, argv, log_path, env
        self.stop_signal, self.cwd = stop_signal, cwd
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> None:
        argv = self.argv
        if threading.current_thread() is threading.main_thread():
            # The signal fires when the thread that forked dies, so only from the main thread.
            # A credential change clears it, so it joins the setpriv that drops to postgres.
            wrapped = argv[1:] if argv[0] == "setpriv" else argv
            argv = ["setpriv", "--pdeathsig", "TERM", *wrapped]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd,
                                         start_new_session=True)

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
        if self.proc is None:
            return
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

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
