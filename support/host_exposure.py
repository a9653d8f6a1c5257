"""What of the host an evaluation must not see or reach, as the host itself sees it.

The escape battery's @host scenarios aim their probes at things that exist on the host
and are first shown to be there from the host side (a file the host can stat, a socket
the host can connect to, a process the host can see), so that "invisible inside the
sandbox" means isolation and not a typo in a path. Only meaningful with the embedded
stack, whose files and sockets live on this host; the stack object is asked for its
directory, nothing else of the platform is imported.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from support import waiting
from support.host import PROJECT_ROOT

# Sockets of host services wherever a Debian host keeps them (PostgreSQL, Redis, Docker,
# containerd, D-Bus, systemd), in addition to the embedded stack's own.
SYSTEM_SOCKET_DIRS = ("/run/postgresql", "/var/run/postgresql", "/run/redis", "/var/run/redis",
                      "/run/docker.sock", "/var/run/docker.sock", "/run/containerd", "/run/dbus",
                      "/run/systemd/private", "/run/systemd/journal")
# Filesystems where an unbounded scratch would land: the root (a work root under /var),
# /tmp, /var/tmp and /dev/shm.
HOST_FILESYSTEMS = ("/", "/tmp", "/var/tmp", "/dev/shm")


def stack_directory(stack: Any) -> Path:
    """The embedded stack's own directory: its PostgreSQL data and socket, Redis's
    directory, the services' logs."""
    directory = getattr(stack, "dir", None)
    assert directory is not None and Path(directory).is_dir(), f"the embedded stack reports no directory: {directory!r}"
    return Path(directory)


def platform_files(stack: Any) -> list[str]:
    """The platform's configuration, credentials and data on this host, as far as they
    exist: the project directory and its .env files, the stack's directory and what it
    holds (data, logs, env file)."""
    stack_dir = stack_directory(stack)
    candidates = [PROJECT_ROOT, *PROJECT_ROOT.glob(".env*"), *PROJECT_ROOT.glob("*/.env*"),
                  stack_dir, *stack_dir.iterdir()]
    return sorted({str(path) for path in candidates if path.exists()})


def _sockets_under(path: Path) -> list[str]:
    if path.is_socket():
        return [str(path)]
    if not path.is_dir():
        return []
    found = []
    for directory, _, files in os.walk(path):
        found += [os.path.join(directory, f) for f in files if Path(directory, f).is_socket()]
    return found


def host_reaches_unix(address: str, timeout: float = 3.0) -> None:
    """The negative control: the host itself can connect to the socket, stream or datagram
    (raises when it cannot). An abstract address starts with a NUL byte."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(address)
    except OSError as exc:
        if exc.errno != errno.EPROTOTYPE:
            raise
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as conn:
            conn.connect(address)


def _reachable(address: str) -> bool:
    try:
        host_reaches_unix(address)
        return True
    except OSError:
        return False


def platform_sockets(stack: Any) -> list[str]:
    """Unix sockets of the host's services, each reachable from the host: the embedded
    stack's (PostgreSQL's socket directory; Redis listens on TCP only), all of which must
    answer, and those of the system's services that answer (a stale socket file is no
    service)."""
    own = _sockets_under(stack_directory(stack))
    for address in own:
        host_reaches_unix(address)
    system = [address for place in SYSTEM_SOCKET_DIRS for address in _sockets_under(Path(place))]
    return sorted(set(own) | {address for address in system if _reachable(address)})


class _Greeter(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"hello from the host\n")


@contextmanager
def unix_listener(address: str) -> Iterator[str]:
    """A unix stream socket of the suite's own at `address` (a path, or "\\0name" for the
    abstract namespace), served from a daemon thread; removed afterwards."""
    server = socketserver.ThreadingUnixStreamServer(address, _Greeter)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield address
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)
        if not address.startswith("\0"):
            Path(address).unlink(missing_ok=True)


def unique_name(kind: str) -> str:
    return f"acceptance-suite-{kind}-{uuid.uuid4().hex}"


@contextmanager
def marker_process() -> Iterator[tuple[int, str]]:
    """A sleeping process on the host with a unique marker on its command line:
    (pid, marker), once the host sees it in /proc. Killed afterwards."""
    marker = unique_name("process")
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()", marker],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        waiting.until(lambda: Path(f"/proc/{proc.pid}/cmdline").read_bytes(), lambda c: marker.encode() in c,
                      timeout=5, description=f"the marker process {proc.pid} to show in the host's /proc")
        yield proc.pid, marker
    finally:
        proc.kill()
        proc.wait()


def free_bytes() -> dict[str, int]:
    """Free bytes of each distinct host filesystem in HOST_FILESYSTEMS, by mount path."""
    seen: dict[int, str] = {}
    for path in HOST_FILESYSTEMS:
        if os.path.isdir(path):
            seen.setdefault(os.stat(path).st_dev, path)
    return {path: shutil.disk_usage(path).free for path in seen.values()}
