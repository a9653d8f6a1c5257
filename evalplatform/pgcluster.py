"""PostgreSQL for the embedded stack: a pristine, already-migrated cluster made once, copied per run.

initdb plus the migrations take a few seconds; copying their result takes a fraction of
one, which is what keeps the stack's cold start under its budget. The template is keyed
by the server's major version and a hash of the migration files, so a new migration or a
server upgrade makes a new template (older ones are removed). PostgreSQL refuses to run
as root: when we are root, its binaries run as the `postgres` user via setpriv.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MIGRATIONS = Path(__file__).resolve().parent / "store" / "migrations"
DB_ROLE = DB_NAME = "evalplatform"

PG_HBA = (
    "# The embedded stack: the admin over the unix socket only; the platform's role\n"
    "# on loopback. Sandboxed code has no network, so loopback trust is its boundary.\n"
    "local all postgres trust\n"
    f"local {DB_NAME} {DB_ROLE} trust\n"
    f"host {DB_NAME} {DB_ROLE} 127.0.0.1/32 trust\n"
)


def pg_bin() -> Path:
    """PostgreSQL's binaries (settings.pg_bin). Read when needed, not at import: `up` imports
    this module before it starts anything, and the settings' import is not free."""
    from evalplatform.settings import get_settings
    return Path(get_settings().pg_bin)


class ClusterError(RuntimeError):
    """A PostgreSQL setup command failed; the message carries its output."""


def running_as_root() -> bool:
    return os.geteuid() == 0


def as_postgres(argv: list[str]) -> list[str]:
    """The command, run as the `postgres` user when we are root."""
    if not running_as_root():
        return argv
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *argv]


def chown_postgres(path: Path) -> None:
    if running_as_root():
        shutil.chown(path, "postgres", "postgres")


def postgres_can_reach(path: Path) -> bool:
    """Can the postgres user traverse into `path`? (Its parents may be private to root.)"""
    if not running_as_root():
        return True
    return subprocess.run(as_postgres(["test", "-x", str(path)])).returncode == 0


def run(argv: list[str], stdin: Optional[str] = None) -> None:
    """Run a setup command (as postgres for a PostgreSQL binary); raise with its output."""
    if argv[0].startswith(str(pg_bin())):
        argv = as_postgres(argv)
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, cwd="/")
    if done.returncode != 0:
        raise ClusterError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")


def server_args(data: Path, port: int, socket_dir: Path, durable: bool,
                addresses: tuple[str, ...] | list[str] = ("127.0.0.1",)) -> list[str]:
    """The postgres command line: loopback on `port`, its socket in `socket_dir`.

    `durable` (a --data-dir cluster): PostgreSQL's defaults, fsync, synchronous commit and
    full page writes on. Otherwise all three are off: nothing of an ephemeral cluster is
    kept, so nothing is lost when a crash loses its last commits.
    """
    args = [str(pg_bin() / "postgres"), "-D", str(data), "-p", str(port),
            "-c", f"listen_addresses={','.join(addresses)}",
            "-c", f"unix_socket_directories={socket_dir}",
            "-c", "max_connections=300",
            "-c", "log_min_messages=warning"]
    if not durable:  # an ephemeral cluster need not survive a host crash
        args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 # shared memory segments as files in the data dir: removed with it, even
                 # after a SIGKILL (posix segments would stay in /dev/shm)
                 "-c", "dynamic_shared_memory_type=mmap"]
    return as_postgres(args)


PID_FILE_STATUS_LINE = 7   # postmaster.pid's 8th line: starting, ready, stopping (PostgreSQL >= 10)


def server_says_ready(data: Path) -> bool:
    """The postmaster of `data` says it accepts connections (what `pg_ctl -w` waits for).
    A hint only, read before trying a connection: a file left by a killed server says
    "ready" too until the new server rewrites it."""
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
    except OSError:
        return False
    return len(lines) > PID_FILE_STATUS_LINE and lines[PID_FILE_STATUS_LINE].strip() == "ready"


def select_one(url: str, timeout_s: float = 1) -> bool:
    """`SELECT 1` answered over `url` (libpq form), asked with psql; raises with psql's
    message when the server did not answer."""
    done = subprocess.run([str(pg_bin() / "psql"), "-X", "-A", "-t", "-w", "-c", "SELECT 1", url],
                          capture_output=True, text=True, timeout=timeout_s + 4, cwd="/",
                          env={**os.environ, "PGCONNECT_TIMEOUT": str(max(int(timeout_s), 1))})
    if done.returncode != 0:
        raise ClusterError(f"psql exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout.strip() == "1"


def known_evaluations(url: str, eval_ids: set[str], timeout_s: float = 5) -> set[str]:
    """Those of `eval_ids` that are evaluations in the database at `url` (libpq form),
    asked with psql (the ids go in as one psql variable, quoted by psql itself)."""
    query = "SELECT eval_id FROM evaluations WHERE eval_id = ANY(string_to_array(:'ids', ','));\n"
    done = subprocess.run([str(pg_bin() / "psql"), "-X", "-A", "-t", "-w", "-q", "-v", "ON_ERROR_STOP=1",
                           "-v", "ids=" + ",".join(sorted(eval_ids)), url],
                          input=query, capture_output=True, text=True, timeout=timeout_s, cwd="/",
                          env={**os.environ, "PGCONNECT_TIMEOUT": str(max(int(timeout_s) // 2, 1))})
    if done.returncode != 0:
        raise ClusterError(f"psql exited {done.returncode}: {done.stderr.strip()}")
    return {line.strip() for line in done.stdout.splitlines() if line.strip()}


def write_hba(data: Path, networks: list[str]) -> None:
    """pg_hba.conf: PG_HBA, and the platform's role trusted from each of `networks` (the
    links a stack's `listen_on` serves: made by the operator or a test for its workers)."""
    extra = "".join(f"host {DB_NAME} {DB_ROLE} {network} trust\n" for network in networks)
    (data / "pg_hba.conf").write_text(PG_HBA + extra)


def _migrations_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def template_dir() -> Path:
    """Where the template lives: the project's .cache, else the platform's work root."""
    cache = PROJECT_ROOT / ".cache"
    if not os.access(PROJECT_ROOT, os.W_OK):
        from evalplatform.settings import get_settings
        cache = Path(get_settings().work_root)
    return cache / f"pg-template-{pg_bin().parent.name}-{_migrations_hash()}"


def template() -> Path:
    """The template cluster, built on first use (a file lock makes concurrent first uses wait)."""
    target = template_dir()
    if (target / "PG_VERSION").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".pg-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "PG_VERSION").exists():
            _build_template(target)
            _remove_stale_templates(target)
    return target


def copy_template(dest: Path, durable: bool = False) -> None:
    """A fresh cluster at `dest` (owned by postgres), from the template.

    `durable`: flushed to disk before use (`initdb --sync-only`). The template is built
    and copied without syncing, which an ephemeral cluster can afford; one in a
    --data-dir must not lose its files to a host crash right after the copy.
    """
    run(["cp", "-a", str(template()), str(dest)])
    chown_postgres(dest)
    if durable:
        run([str(pg_bin() / "initdb"), "--sync-only", "-D", str(dest)])


def _remove_stale_templates(current: Path) -> None:
    for other in current.parent.glob("pg-template-*"):
        if other != current and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


def _build_template(target: Path) -> None:
    # Built in a temporary directory (postgres may not traverse the project directory),
    # then copied into place and renamed atomically.
    work = Path(tempfile.mkdtemp(prefix="evalplatform-initdb-"))
    try:
        work.chmod(0o755)
        data, sock = work / "data", work / "sock"
        data.mkdir(mode=0o700)
        sock.mkdir()
        chown_postgres(data)
        chown_postgres(sock)
        run([str(pg_bin() / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions",
             "--wal-segsize=1"])
        # Single-user mode: one statement per line.
        run([str(pg_bin() / "postgres"), "--single", "-D", str(data), "postgres"],
            stdin=f"CREATE ROLE {DB_ROLE} LOGIN;\nCREATE DATABASE {DB_NAME} OWNER {DB_ROLE};\n")
        (data / "pg_hba.conf").write_text(PG_HBA)
        _migrate_offline(data, sock)
        staging = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        run(["cp", "-a", str(data), str(staging)])
        os.rename(staging, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _migrate_offline(data: Path, sock: Path) -> None:
    """Apply the migrations with the server listening on its unix socket only."""
    from evalplatform import store
    port = 5432
    server = subprocess.Popen(
        as_postgres([str(pg_bin() / "postgres"), "-D", str(data), "-p", str(port),
                     "-c", "listen_addresses=", "-c", f"unix_socket_directories={sock}",
                     "-c", "fsync=off"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/", start_new_session=True)
    try:
        store.migrate(f"postgresql://{DB_ROLE}@/{DB_NAME}?host={sock}&port={port}", wait_s=30)
    finally:
        os.killpg(server.pid, signal.SIGINT)   # fast shutdown: leaves a clean checkpoint
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    if server.returncode not in (0, -signal.SIGINT):
        raise ClusterError(f"template server exited {server.returncode}: {server.stderr.read()}")
    _wait_pid_file_gone(data)


def _wait_pid_file_gone(data: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while (data / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.02)


if __name__ == "__main__":   # `make setup` builds the template ahead of the first start
    print(template())
