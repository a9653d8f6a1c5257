"""Commands each trivial evaluation costs Redis and PostgreSQL: counted, not timed.

A count is exact whatever else the machine is doing, and on loopback each round trip is
two system calls and a context switch or two on each side: on a small, busy host that is
where a platform's CPU goes. This starts a Stack, warms it up, then records every Redis
command (MONITOR, per database: 0 state, 1 broker, 2 results) and every PostgreSQL
statement (log_statement=all, set with ALTER SYSTEM on the ephemeral cluster) while
`--count` evaluations of `print(1)` run one after another, and prints them per evaluation.

    .venv/bin/python bench/round_trips.py [--count 20]

Writes reports/bench/round_trips.json.
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from collections import Counter

from _platform import Submitter, TerminalWatcher
from _report import write_json

import psycopg
import redis

from evalplatform.stack import Stack

WARMUP = 5
REDIS_DBS = {"0": "state", "1": "broker", "2": "results"}
# A Redis MONITOR line: 1700000000.123456 [0 127.0.0.1:5555] "EVALSHA" "..."
MONITOR_LINE = re.compile(r'^\S+ \[(\d+) ([^\]]+)\] "([A-Za-z]+)"')
STATEMENT = re.compile(r"LOG:\s+(?:statement|execute [^:]*):\s+(.*)")
TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", re.IGNORECASE)


class RedisRecorder:
    """Every command the server executes while recording, from a MONITOR connection.

    `commands`: what clients sent, a MULTI...EXEC pipeline counted once as `EXEC` (one
    round trip); `in_scripts`: what Lua scripts ran inside the server (no round trip).
    """

    def __init__(self, url: str):
        self._conn = redis.Redis.from_url(url).connection_pool.get_connection()
        self._conn.send_command("MONITOR")
        self._conn.read_response()
        self.commands: Counter[tuple[str, str]] = Counter()
        self.in_scripts: Counter[tuple[str, str]] = Counter()
        self._in_multi: set[str] = set()
        self.recording = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            while True:
                line = self._conn.read_response()
                line = line.decode(errors="replace") if isinstance(line, bytes) else str(line)
                match = MONITOR_LINE.match(line)
                if match and self.recording:
                    self._count(*match.groups())
        except (redis.ConnectionError, OSError):
            pass

    def _count(self, db: str, client: str, command: str) -> None:
        key = (REDIS_DBS.get(db, db), command.upper())
        if client == "lua":
            self.in_scripts[key] += 1
        elif key[1] == "MULTI":
            self._in_multi.add(client)
        elif key[1] == "EXEC":
            self._in_multi.discard(client)
            self.commands[key] += 1
        elif client not in self._in_multi:
            self.commands[key] += 1


def statement_kind(sql: str) -> str:
    """`SELECT evaluations FOR UPDATE`, `INSERT evaluation_events`, `BEGIN`, `SELECT 1`..."""
    words = sql.split()
    verb = words[0].upper() if words else "?"
    table = TABLE.search(sql)
    kind = f"{verb} {table.group(1)}" if table else " ".join(words[:2])[:30]
    return kind + (" FOR UPDATE" if "FOR UPDATE" in sql.upper() else "")


def postgres_statements(log_text: str) -> Counter[str]:
    return Counter(statement_kind(m.group(1)) for m in STATEMENT.finditer(log_text))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args(argv)
    with Stack(workers=1) as stack:
        api = stack.urls["API_URL"]
        watcher = TerminalWatcher(stack.urls["REDIS_URL"])
        submit = Submitter(api)
        for _ in range(WARMUP):
            eval_id, _ = submit()
            watcher.wait([eval_id])
        # the cluster's superuser, on the unix socket only (pgcluster.PG_HBA)
        with psycopg.connect(host=str(stack.dir / "pgsock"), port=stack._ports["postgres"],
                             user="postgres", dbname="evalplatform", autocommit=True) as db:
            db.execute("ALTER SYSTEM SET log_statement = 'all'")
            db.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)   # every backend reads the reloaded configuration
        log_path = stack.dir / "logs" / "postgres.log"
        log_start = log_path.stat().st_size
        recorder = RedisRecorder(stack.urls["REDIS_URL"])
        recorder.recording = True
        started = time.monotonic()
        for _ in range(args.count):
            eval_id, _ = submit()
            watcher.wait([eval_id])
        window = time.monotonic() - started
        recorder.recording = False
        with open(log_path, errors="replace") as log:
            log.seek(log_start)
            pg = postgres_statements(log.read())

    # the idle loops (reaper, kombu's polling) run whether or not anything is submitted:
    # shown separately as what they cost per second of the window
    print(f"{args.count} evaluations of 'print(1)' one after another, {window:.1f} s")
    print("Redis round trips per evaluation (a MULTI/EXEC pipeline is one EXEC), "
          "idle loops included:")
    redis_total = 0.0
    for (db, command), n in sorted(recorder.commands.items()):
        print(f"  {db:8} {command:14} {n / args.count:6.2f}")
        redis_total += n / args.count
    print(f"  {'total':23} {redis_total:6.2f}")
    inside = sum(recorder.in_scripts.values()) / args.count
    print(f"  (and {inside:.2f} commands inside Lua scripts: "
          + ", ".join(f"{c} {n / args.count:.2f}" for (_, c), n in sorted(recorder.in_scripts.items())) + ")")
    print("PostgreSQL statements per evaluation:")
    pg_total = 0.0
    for statement, n in pg.most_common():
        print(f"  {statement:23} {n / args.count:6.2f}")
        pg_total += n / args.count
    print(f"  {'total':23} {pg_total:6.2f}  (each one round trip; `;` is the pool's pre-ping)")
    path = write_json("round_trips", {
        "count": args.count, "window_s": window,
        "redis_per_evaluation": {f"{db} {cmd}": n / args.count for (db, cmd), n in recorder.commands.items()},
        "redis_in_scripts_per_evaluation": {f"{db} {cmd}": n / args.count
                                            for (db, cmd), n in recorder.in_scripts.items()},
        "postgres_per_evaluation": {s: n / args.count for s, n in pg.items()},
        "redis_total": redis_total, "postgres_total": pg_total})
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
