"""Can the code see or reach a unix socket of a host service (docker.sock, containerd's
abstract socket, the database's socket; deepce, botb, CDK)? It tries to connect to each
of {{paths}} and to each abstract name of {{abstract}}, and looks for socket files
wherever services keep them (a few levels under /run, /var/run, /tmp, /var/tmp, /dev,
/dev/shm, /var/lib, /root, /home), trying to connect to each one found. Isolation holds
when it sees no socket file and connects to nothing."""
import errno
import json
import os
import socket
import stat

ROOTS = ("/run", "/var/run", "/tmp", "/var/tmp", "/dev", "/dev/shm", "/var/lib", "/root", "/home")
MAX_DEPTH = 4


def socket_files() -> set[str]:
    found = set()
    for root in ROOTS:
        base = root.rstrip("/").count("/")
        for directory, subdirs, files in os.walk(root):
            if directory.count("/") - base >= MAX_DEPTH:
                subdirs.clear()
            for name in files:
                path = os.path.join(directory, name)
                try:
                    if stat.S_ISSOCK(os.lstat(path).st_mode):
                        found.add(path)
                except OSError:
                    continue
    return found


def connects(address) -> str:
    """Connect as a stream, or as datagrams where the socket is one (EPROTOTYPE)."""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        try:
            with socket.socket(socket.AF_UNIX, kind) as conn:
                conn.settimeout(2)
                conn.connect(address)
            return "connected"
        except OSError as exc:
            if exc.errno != errno.EPROTOTYPE:
                return f"{type(exc).__name__}: {exc.strerror}"
    return "EPROTOTYPE"


visible = socket_files() | {p for p in {{paths}} if os.path.lexists(p)}
outcomes = {path: connects(path) for path in sorted(visible | set({{paths}}))}
outcomes.update({f"@{name}": connects("\0" + name) for name in {{abstract}}})
connected = [where for where, outcome in outcomes.items() if outcome == "connected"]
print(json.dumps({"probe": "unix_sockets", "blocked": not visible and not connected,
                  "detail": {"visible": sorted(visible)[:100], "connected": connected[:100],
                             "tried": len(outcomes)}}))
