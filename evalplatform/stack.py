"""The embedded stack: redis-server, PostgreSQL, N Celery workers and the API on loopback.

It is what the acceptance suite and `python -m evalplatform up` run by default, so it
has to start fast (the goal: 1 s cold, docs/performance.md): PostgreSQL is copied from a
pristine, migrated cluster made once (pgcluster.template), every service starts at the
same time, and the services say when they are ready (supervise.Readiness). Each service
runs in its own process group (stop kills the whole group, so no backend or pool child
survives) and, when started from the main thread, with a parent-death signal so a
SIGKILLed parent leaves no daemon behind either.

Once healthy, the stack is supervised (supervise.Supervisor): a worker or the API that
dies on its own is started again, with backoff and a limit per minute, and each restart is
logged (logs/supervisor.log) and recorded in Redis for `evalplatform state` and
/api/health. A service stopped on purpose (stop_service) stays stopped.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

from evalplatform import pgcluster
from evalplatform.cli.connection import URL_KEYS as CLIENT_URL_KEYS
from evalplatform.pgcluster import DB_NAME, DB_ROLE, PROJECT_ROOT
from evalplatform.supervise import (NOTIFY_SOCKET, Readiness, RestartPolicy, Service, Supervisor,
                                    free_port, port_is_free, start_time)

__all__ = ["Stack", "StackError", "free_port", "port_is_free"]

# This module is imported by `up` before anything starts: what it imports at its top is
# time before the first service is launched, so the platform's own modules (settings,
# state, the clients) are imported where they are used, once the services are starting.

REDIS_DB_STATE, REDIS_DB_BROKER, REDIS_DB_RESULTS = 0, 1, 2
SERVICES_MAIN = (sys.executable, "-m", "evalplatform.stack_services")   # the Python services' entry
# Between two health checks of a service that has not answered yet. A service that says
# READY=1 (supervise.Readiness) ends the wait at once.
POLL_S = 0.01
LOOPBACK = "127.0.0.1"
# The env file's client lines (CLIENT_URL_KEYS), and the settings that say where this stack's services are:
# both are the stack's own, never inherited (see Stack._process_env).
STACK_OWNED_SETTINGS = ("EVALPLATFORM_DATABASE_URL", "EVALPLATFORM_REDIS_URL", "EVALPLATFORM_BROKER_URL",
                        "EVALPLATFORM_RESULT_BACKEND", "EVALPLATFORM_API_HOST", "EVALPLATFORM_API_PORT",
                        "EVALPLATFORM_MIGRATE_ON_START")


def _scratch_root() -> Optional[str]:
    """Where an ephemeral stack keeps its files: RAM (/dev/shm) when there is one.

    Copying the PostgreSQL template there takes a tenth of the time it takes on a busy
    disk, and an ephemeral cluster has nothing to keep. None: the system's temp dir.
    """
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


STACK_DIR_PREFIX = "evalplatform-stack-"
OWNER_FILE = "owner"   # "pid start-time" of the process that made an ephemeral stack dir


def _remove_abandoned_stack_dirs() -> None:
    """Remove ephemeral stack dirs whose owner died without stop() (SIGKILL): their services
    died with it (parent-death signal), only the files remain."""
    root = Path(_scratch_root() or tempfile.gettempdir())
    for directory in root.glob(STACK_DIR_PREFIX + "*"):
        try:
            pid, started = (directory / OWNER_FILE).read_text().split()
        except (OSError, ValueError):
            continue   # being created right now, or not ours
        if start_time(int(pid)) != started:
            shutil.rmtree(directory, ignore_errors=True)


class StackError(RuntimeError):
    """The stack did not become healthy; the message carries each service's state and log tail."""


# ---------------------------------------------------------------------------------------
# The stack
# ---------------------------------------------------------------------------------------

class Stack:
    """Start and stop the whole platform on free loopback ports. See module docstring."""

    def __init__(self, workers: Optional[int] = None, data_dir: Optional[str] = None,
                 env: Optional[dict[str, str]] = None, with_api: bool = True,
                 with_workers: bool = True, supervise: bool = True,
                 restart_policy: RestartPolicy = RestartPolicy(), echo=None,
                 listen_on: tuple[str, ...] = ()):
        self.worker_count = 1 if workers is None else workers
        self.data_dir = Path(data_dir).resolve() if data_dir else None
        self.extra_env = dict(env or {})
        self.with_api, self.with_workers = with_api, with_workers
        self.dir: Optional[Path] = None
        self.services: dict[str, Service] = {}
        self.workers: list[Service] = []
        self._ports: dict[str, int] = {}
        self._next_worker = 0
        self._started = False
        self.supervise, self.restart_policy, self.echo = supervise, restart_policy, echo
        self.supervisor: Optional[Supervisor] = None
        self._readiness: Optional[Readiness] = None   # open while start() waits
        # Seconds from start() to each service's health, and to all of it ("healthy").
        self.timings: dict[str, float] = {}
        # Interfaces ("169.254.213.1/30") where Redis and PostgreSQL also listen, trusting
        # the interface's network: how workers on other hosts join (docs/stack.md).
        self.listen_on = [ipaddress.ip_interface(i) for i in listen_on]
        # Redis refuses other hosts without a password (protected mode): a stack reachable
        # beyond loopback gets one of its own, in every Redis URL it hands out.
        self.redis_password = secrets.token_urlsafe(24) if self.listen_on else None

    # -- configuration -------------------------------------------------------------------

    @property
    def urls(self) -> dict[str, str]:
        """The URLs a client of this stack needs (the env file's lines)."""
        return self.urls_at(LOOPBACK)

    def urls_at(self, host: str) -> dict[str, str]:
        """The URLs with `host` for 127.0.0.1: for a worker that reaches the stack through
        one of its `listen_on` addresses (the API stays on loopback)."""
        auth = f":{self.redis_password}@" if self.redis_password else ""
        redis = f"redis://{auth}{host}:{self._ports['redis']}"
        return {
            "API_URL": f"http://{LOOPBACK}:{self._ports['api']}/api",
            "REDIS_URL": f"{redis}/{REDIS_DB_STATE}",
            "CELERY_BROKER_URL": f"{redis}/{REDIS_DB_BROKER}",
            "CELERY_RESULT_BACKEND": f"{redis}/{REDIS_DB_RESULTS}",
            # The libpq form: psql, psycopg and (via store.init) SQLAlchemy all accept it.
            "DATABASE_URL": f"postgresql://{DB_ROLE}@{host}:{self._ports['postgres']}/{DB_NAME}",
        }

    @property
    def settings_env(self) -> dict[str, str]:
        """The EVALPLATFORM_* variables every process of the stack gets."""
        return self.settings_env_at(LOOPBACK)

    def settings_env_at(self, host: str) -> dict[str, str]:
        urls = self.urls_at(host)
        return {
            "EVALPLATFORM_DATABASE_URL": urls["DATABASE_URL"].replace(
                "postgresql://", "postgresql+psycopg://", 1),
            "EVALPLATFORM_REDIS_URL": urls["REDIS_URL"],
            "EVALPLATFORM_BROKER_URL": urls["CELERY_BROKER_URL"],
            "EVALPLATFORM_RESULT_BACKEND": urls["CELERY_RESULT_BACKEND"],
            "EVALPLATFORM_API_HOST": LOOPBACK,
            "EVALPLATFORM_API_PORT": str(self._ports["api"]),
            **self.extra_env,
        }

    def write_env_file(self, path, host: str = LOOPBACK) -> None:
        """KEY=value lines (the URLs, then the EVALPLATFORM_* settings); written atomically.
        `host`: one of the `listen_on` addresses, for workers on other hosts."""
        path = Path(path)
        lines = [f"{k}={v}" for k, v in {**self.urls_at(host), **self.settings_env_at(host)}.items()]
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        tmp.touch(mode=0o600)          # it may hold the Redis password (listen_on)
        tmp.write_text("\n".join(lines) + "\n")
        os.replace(tmp, path)

    def _process_env(self) -> dict[str, str]:
        """The services' environment: this process's, without anything that would point
        them at another platform, plus this stack's settings.

        Removed: the client URLs (API_URL, ...), every CELERY_* variable (Celery prefers
        CELERY_BROKER_URL and CELERY_RESULT_BACKEND over its configuration, so an exported
        env file of an earlier stack would send this stack's tasks to that stack's broker)
        and the EVALPLATFORM_* settings the stack decides itself (STACK_OWNED_SETTINGS).
        Other EVALPLATFORM_* settings (engine, limits, profile) configure it on purpose.
        """
        env = {k: v for k, v in os.environ.items()
               if k not in CLIENT_URL_KEYS and not k.startswith("CELERY_")
               and k not in STACK_OWNED_SETTINGS}
        env.update(self.settings_env)
        # Our socket, or none: a stack run by systemd must not have PostgreSQL tell systemd.
        env.pop(NOTIFY_SOCKET, None)
        if self._readiness is not None:
            env[NOTIFY_SOCKET] = str(self._readiness.path)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        return env

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 30, while_starting: Optional[Callable[[], object]] = None) -> "Stack":
        """Start every service at once and wait until all are healthy, or stop and raise.

        The Python services (API, workers) take the longest to import, so they are
        launched first, before this process does anything else that takes time, then
        Redis; PostgreSQL's data is copied while they import, and it starts last.
        `while_starting` (up's check of the settings) runs right after the launch, for the same reason;
        what it raises stops the stack and comes out of start(). The API migrates the
        schema at its start (under an advisory lock); without an API the stack migrates it.

        Healthy is each service's real check: Redis answers PING, PostgreSQL SELECT 1, the
        API /api/health "ok" (which needs every service, the workers included). The API is
        asked only once every worker of the stack has said it consumes (READY=1, see
        supervise.Readiness): a health report computed earlier would be degraded, and the
        API keeps a degraded report for a while.
        """
        if self._started:
            return self
        self._started = True
        began = time.monotonic()
        deadline = began + timeout
        self.timings = {}
        try:
            self._prepare_dirs()
            self._ports = {"redis": free_port(), "postgres": free_port(), "api": free_port()}
            self._open_readiness()
            self._define_services()
            if self.with_api:
                self.services["api"].start()     # the longest to become ready: first
            for _ in range(self.worker_count if self.with_workers else 0):
                self.start_worker()
            self.services["redis"].start()
            if while_starting is not None:
                while_starting()
            pgcluster.template()   # built on first use only
            self._define_postgres()
            self._prepare_pgdata()
            self.services["postgres"].start()
            import redis  # noqa: F401  (now, while PostgreSQL starts: the supervisor publishes with it)
            waits = [("postgres", self._check_postgres), ("redis", self._check_redis)]
            if self.with_api:
                waits += [("workers", self._workers_said_ready), ("api", self._check_api)]
            for name, check in waits:
                self._wait_for(check, name, deadline)
                self.timings[name] = time.monotonic() - began
                if name == "postgres" and not self.with_api:
                    self._migrate()
            if self.supervise:
                self.supervisor = Supervisor(
                    lambda: [*self.services.values(), *self.workers], self.dir / "logs" / "supervisor.log",
                    self._publish_restarts, self.restart_policy, self.echo).start()
            self.timings["healthy"] = time.monotonic() - began
        except BaseException:
            self.stop()
            raise
        finally:
            self._close_readiness()
        return self

    def _close_readiness(self) -> None:
        if self._readiness is not None:
            self._readiness.close()
            self._readiness = None

    def _workers_said_ready(self) -> bool:
        """Every worker this stack started has said READY=1 (true at once without the
        readiness socket: then the API is simply asked until it answers "ok")."""
        if self._readiness is None:
            return True
        waiting = [w.name for w in self.workers if not self._readiness.said_ready(w)]
        if waiting:
            raise RuntimeError(f"{', '.join(waiting)} not consuming yet (no READY=1)")
        return True

    def _pause(self) -> None:
        """Until the next check: POLL_S, or less when a service says READY=1 meanwhile."""
        if self._readiness is not None:
            self._readiness.wait(POLL_S)
        else:
            time.sleep(POLL_S)

    def _wait_for(self, check: Callable[[], bool], name: str, deadline: float,
                  watch: Optional[list[Service]] = None) -> None:
        """Poll `check` until True; fail early when a watched service (default: all) dies."""
        last_error = "no answer yet"
        if watch is None:
            watch = [s for s in [*self.services.values(), *self.workers] if s.proc is not None]
        while True:
            for service in watch:
                if not service.alive():
                    raise StackError(f"{service.name} died while starting\n{self.describe()}")
            try:
                if check():
                    return
            except Exception as exc:  # a refused connection while it starts
                last_error = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                raise StackError(f"{name} not healthy in time (last: {last_error})\n{self.describe()}")
            self._pause()

    def stop(self) -> None:
        """Stop every process group and remove the temp dir. Safe to call more than once."""
        if self.supervisor is not None:
            self.supervisor.pause()
        had_workers = bool(self.workers)
        # Only a stack that came up can have run evaluations (one whose start failed, on a
        # setting say, has none to sweep, and must not add a line to its one-line error).
        came_up = "healthy" in self.timings
        interrupted = self._running_evaluations() if had_workers else set()
        for worker in self.workers:
            worker.stop()
        self.workers.clear()
        left = interrupted | (self._sandboxes_left() if had_workers and came_up else set())
        if left:
            self._remove_sandboxes(left)
        for name in ("api", "postgres", "redis"):
            if name in self.services:
                self.services[name].stop()
        if self.supervisor is not None:
            self.supervisor.end()
            self.supervisor = None
        if self.dir is not None and self.data_dir is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self._started = False

    def _running_evaluations(self) -> set[str]:
        """Ids in this stack's running_evaluations set (empty when Redis cannot say)."""
        import redis
        try:
            client = redis.Redis.from_url(self.urls["REDIS_URL"], socket_timeout=1)
            try:
                return {m.decode() for m in client.smembers("running_evaluations")}
            finally:
                client.close()
        except (redis.RedisError, KeyError):
            return set()

    def _publish_restarts(self, records: dict[str, dict]) -> None:
        """The supervisor's records into the state Redis (RESTARTS_KEY), replacing the last."""
        import redis

        from evalplatform.state import RESTARTS_KEY
        client = redis.Redis.from_url(self.urls["REDIS_URL"], socket_timeout=1, socket_connect_timeout=1)
        try:
            pipe = client.pipeline()
            pipe.delete(RESTARTS_KEY)
            if records:
                pipe.hset(RESTARTS_KEY, mapping={k: json.dumps(v) for k, v in records.items()})
            pipe.execute()
        finally:
            client.close()

    def restarts(self) -> dict[str, dict]:
        """Each supervised service's restart record (empty when not supervised)."""
        return self.supervisor.snapshot() if self.supervisor else {}

    def _settings(self):
        """The settings this stack's services run with."""
        from evalplatform.settings import Settings
        prefix = "EVALPLATFORM_"
        return Settings(**{k[len(prefix):].lower(): v for k, v in self.settings_env.items()
                           if k.startswith(prefix)})

    def _sandboxes_left(self) -> set[str]:
        """This stack's evaluations that still have a sandbox (a cgroup or a run dir) on
        this host once its workers are stopped. A worker killed mid-run leaves its run's
        cgroup and dir to the reaper of another worker, which removes them once the
        evaluation has ended; a stack stopped before that tick left them for good (five
        cgroups and four run dirs of chaos runs stayed on this host). Only ids that are
        evaluations in this stack's own store: other stacks on the host keep theirs."""
        try:
            settings = self._settings()
            if settings.executor != "local":
                return set()
            from evalplatform.sandbox import host_run_ids
            on_host = host_run_ids(settings)
            return pgcluster.known_evaluations(self.urls["DATABASE_URL"], on_host) if on_host else set()
        except Exception as exc:  # stop() must finish; say what may be left
            print(f"evalplatform stack: could not look for sandboxes left on this host: {exc}", file=sys.stderr)
            return set()

    def _remove_sandboxes(self, run_ids: set[str]) -> None:
        """Remove the cgroups and host dirs of these runs of this stack, once its workers
        are stopped (their processes died with them: Service.stop kills every descendant)."""
        try:
            settings = self._settings()
            if settings.executor != "local":
                return
            from evalplatform.executor.local import LocalExecutor
            LocalExecutor(settings).remove_runs(run_ids)
        except Exception as exc:  # stop() must finish; say what is left
            print(f"evalplatform stack: could not remove sandboxes {sorted(run_ids)}: {exc}",
                  file=sys.stderr)

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- services ------------------------------------------------------------------------

    def _prepare_dirs(self) -> None:
        if self.data_dir is not None:
            self.dir = self.data_dir
            self.dir.mkdir(parents=True, exist_ok=True)
        else:
            _remove_abandoned_stack_dirs()
            self.dir = Path(tempfile.mkdtemp(prefix=STACK_DIR_PREFIX, dir=_scratch_root()))
            (self.dir / OWNER_FILE).write_text(f"{os.getpid()} {start_time(os.getpid())}")
        self.dir.chmod(0o755)  # postgres must traverse it to reach its data and socket dirs
        for sub in ("logs", "redis", "pgsock"):
            (self.dir / sub).mkdir(exist_ok=True)
        pgcluster.chown_postgres(self.dir / "pgsock")

    def _open_readiness(self) -> None:
        """The socket the services say READY=1 on; PostgreSQL's user must be able to send."""
        self._readiness = Readiness.open(self.dir / "notify")
        if self._readiness is not None:
            pgcluster.chown_postgres(self._readiness.path)

    def _prepare_pgdata(self) -> None:
        """A fresh copy of the template, unless the data dir already holds a cluster."""
        if not pgcluster.postgres_can_reach(self.dir):
            raise StackError(f"the postgres user cannot reach {self.dir}: "
                             "make its parent directories traversable (chmod o+x)")
        pgdata = self.dir / "pgdata"
        if not (pgdata / "PG_VERSION").exists():
            shutil.rmtree(pgdata, ignore_errors=True)
            pgcluster.copy_template(pgdata, durable=self.data_dir is not None)
        (pgdata / "postmaster.pid").unlink(missing_ok=True)  # left by a killed earlier run
        pgcluster.write_hba(pgdata, [str(i.network) for i in self.listen_on])

    def _define_services(self) -> None:
        """Redis and the API; PostgreSQL's command needs the settings (its binaries), so it
        is defined once the Python services are launched (_define_postgres)."""
        env, logs = self._process_env(), self.dir / "logs"
        redis_args = ["redis-server", "--bind", *self._addresses(), "--port", str(self._ports["redis"]),
                      "--dir", str(self.dir / "redis"), "--save", "",
                      "--appendonly", "yes" if self.data_dir is not None else "no", "--protected-mode", "yes",
                      *(["--requirepass", self.redis_password] if self.redis_password else [])]
        # A cluster about to be copied from the template is at this code's head already (the
        # template is keyed by the migrations' hash): the API need not run Alembic, a third of
        # a second of its start. A data dir's existing cluster may be older: it migrates.
        fresh_cluster = not (self.dir / "pgdata" / "PG_VERSION").exists()
        api_env = {**env, "EVALPLATFORM_MIGRATE_ON_START": "false" if fresh_cluster else "true"}
        self.services = {
            "redis": Service("redis", redis_args, logs / "redis.log", env),
            # uvicorn serving evalplatform.api.app:app (stack_services says how, and why so)
            "api": Service("api", [*SERVICES_MAIN, "api", str(self._ports["api"])],
                           logs / "api.log", api_env, cwd=str(PROJECT_ROOT), supervised=True),
        }

    def _define_postgres(self) -> None:
        pg_args = pgcluster.server_args(self.dir / "pgdata", self._ports["postgres"], self.dir / "pgsock",
                                        durable=self.data_dir is not None, addresses=self._addresses())
        # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client.
        self.services["postgres"] = Service("postgres", pg_args, self.dir / "logs" / "postgres.log",
                                            self._process_env(), stop_signal=signal.SIGINT)

    def _addresses(self) -> list[str]:
        return [LOOPBACK, *(str(i.ip) for i in self.listen_on)]

    def _worker_service(self, index: int) -> Service:
        """A Celery worker (see stack_services). Its concurrency is the settings'
        (EVALPLATFORM_WORKER_CONCURRENCY), read from the environment the stack gives it,
        like every other setting."""
        argv = [*SERVICES_MAIN, "worker", f"worker{index}@%h", "--loglevel", "INFO"]
        return Service(f"worker{index}", argv, self.dir / "logs" / f"worker{index}.log",
                       self._process_env(), cwd=str(PROJECT_ROOT), supervised=True)

    # -- health --------------------------------------------------------------------------

    # The checks use the standard library where they can: the stack process runs beside
    # services that are importing on the same cores, and every import it saves is theirs.

    def _check_redis(self) -> bool:
        with socket.create_connection(("127.0.0.1", self._ports["redis"]), timeout=1) as conn:
            if self.redis_password:
                conn.sendall(f"AUTH {self.redis_password}\r\n".encode())
                if not conn.recv(64).startswith(b"+OK"):
                    return False
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")

    def _check_postgres(self) -> bool:
        """SELECT 1 by psql (PostgreSQL's own client, a C program: importing psycopg here
        would cost a tenth of a second of the CPU the starting services import on), once
        the postmaster says it is ready (pg_ctl -w's signal: the status line of
        postmaster.pid), not with a connection tried every poll while it starts."""
        if not pgcluster.server_says_ready(self.dir / "pgdata"):
            raise RuntimeError("postmaster.pid does not say ready yet")
        return pgcluster.select_one(self.urls["DATABASE_URL"])

    def _check_api(self) -> bool:
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self._ports["api"], timeout=3)
        try:
            conn.request("GET", "/api/health")
            answer = conn.getresponse()
            return answer.status == 200 and json.loads(answer.read()).get("status") == "ok"
        finally:
            conn.close()

    def _migrate(self) -> None:
        from evalplatform import store
        store.migrate(self.urls["DATABASE_URL"])

    def healthy(self) -> dict[str, bool]:
        """Each service's health right now (for diagnostics; start() waits on these)."""
        checks = {"redis": self._check_redis, "postgres": self._check_postgres}
        if self.with_api:
            checks["api"] = self._check_api
        result = {}
        for name, check in checks.items():
            try:
                result[name] = bool(check())
            except Exception:
                result[name] = False
        return result

    def describe(self) -> str:
        """Each service's state and the tail of its log: what a failed start reports."""
        parts = []
        for service in [*self.services.values(), *self.workers]:
            parts.append(f"--- {service.name}: {service.state()} ({service.log_path})\n{service.tail()}")
        return "\n".join(parts)

    def logs(self, service: str) -> str:
        """The tail of one service's log (`redis`, `postgres`, `api`, `worker0`, ...)."""
        for candidate in [*self.services.values(), *self.workers]:
            if candidate.name == service:
                return candidate.tail()
        path = self.dir / "logs" / f"{service}.log" if self.dir else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    # -- process control (chaos) ----------------------------------------------------------

    def worker_pids(self) -> list[int]:
        """The main pid of each running worker (its pool children share its process group)."""
        return [w.pid for w in self.workers if w.alive()]

    def kill_worker(self, index: int = 0, sig: int = signal.SIGKILL) -> None:
        """Signal the worker's main process only, as a crash would (pool children are orphaned)."""
        worker = self.workers[index]
        if worker.alive():
            os.kill(worker.pid, sig)

    def start_worker(self) -> Service:
        """Start one more worker with the next hostname (worker0@, worker1@, ...)."""
        worker = self._worker_service(self._next_worker)
        self._next_worker += 1
        worker.start()
        self.workers.append(worker)
        return worker

    def stop_service(self, name: str) -> None:
        """Stop `redis`, `postgres` or `api` (its port stays reserved for start_service)."""
        self.services[name].stop()

    def start_service(self, name: str, timeout: float = 15) -> None:
        """Start it again on the same port (clients reconnect to the same URL) and wait healthy."""
        checks = {"redis": self._check_redis, "postgres": self._check_postgres, "api": self._check_api}
        self.services[name].start()
        self._wait_for(checks[name], name, time.monotonic() + timeout, [self.services[name]])

    def restart_service(self, name: str, timeout: float = 15) -> None:
        self.stop_service(name)
        self.start_service(name, timeout)

    def stop_redis(self) -> None:
        self.stop_service("redis")

    def start_redis(self, timeout: float = 15) -> None:
        self.start_service("redis", timeout)

    def restart_redis(self, timeout: float = 15) -> None:
        self.restart_service("redis", timeout)

    def stop_postgres(self) -> None:
        self.stop_service("postgres")

    def start_postgres(self, timeout: float = 15) -> None:
        self.start_service("postgres", timeout)

    def restart_postgres(self, timeout: float = 15) -> None:
        self.restart_service("postgres", timeout)

    def restart_api(self, timeout: float = 15) -> None:
        self.restart_service("api", timeout)
