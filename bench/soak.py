"""Soak: 1,000 mixed evaluations at concurrency 50 against an embedded stack of its own.

The mix (support/workload.py) is what loses evaluations on real platforms: fast ones,
slow ones, failures, timeouts and output floods side by side. `--concurrency` closed-loop
clients each submit one evaluation, wait for its terminal status (published on the
contract's `evaluation:{status}` channels, so waiting costs the API nothing), and submit
the next. Progress is printed every few seconds. At the end every record is read back
through the API, which is the truth, and the script prints:

- lost: accepted (200) but unknown to the API afterwards, or refused for no client reason;
- stuck: still not terminal at the end (its timeout + the reaper's grace + a margin);
- wrong status: terminal, but not the outcome its code must have (e.g. a flood that
  ended `timeout` instead of `output_limit`);
- leaked: host processes, cgroups or run directories of evaluations that have ended;
- re-queued: picked up more than once (a worker was lost under them);
- unpublished: terminal, but never announced on the contract's `evaluation:{status}`
  channels (a failure too, unless workers are being crashed);
- latency percentiles (submit -> terminal, as the platform recorded it) and throughput.

With `--crash-every S` a worker is SIGKILLed every S seconds, with `--kill-every-n N`
every N evaluations ended, mid-run; the stack's supervisor starts it again (the soak
raises the supervisor's limit to CRASH_RESTARTS_PER_MINUTE: it measures losses, not the
limit). Evaluations must still all end, re-queued or `failed/worker_lost`, none lost,
and every terminal status must be published (the outbox re-publishes those a killed
worker committed but never announced, within its settle time: the count is taken after
waiting for them). Exit status 0 only with 0 lost, 0 stuck, 0 wrong, 0 leaked and 0
unpublished.

    .venv/bin/python bench/soak.py [--n 1000] [--concurrency 50] [--workers 2] [--slots 4]
                                   [--crash-every S | --kill-every-n N]

The issue's soak, on the default stack (one worker, as many slots as cores), a worker
killed every 50 evaluations:

    .venv/bin/python bench/soak.py --workers 1 --slots 0 --kill-every-n 50
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from _platform import TerminalWatcher   # also puts the project on sys.path

from evalplatform.executor.local import LocalExecutor
from evalplatform.pgcluster import PROJECT_ROOT
from evalplatform.sandbox import runner
from evalplatform.settings import Settings
from evalplatform.queue.outbox import SETTLE_S
from evalplatform.stack import Stack
from evalplatform.supervise import RestartPolicy
from support import host, workload
from support.api_client import ApiClient, ApiError
from support.contract import TERMINAL

PROGRESS_EVERY_S = 3.0
WAIT_MARGIN_S = 120.0     # queueing behind `concurrency` others, on a busy 2-core host
EVENT_CHECK_S = 5.0       # how long a client trusts the pub/sub channel before asking the API
ENV_PREFIX = "EVALPLATFORM_"
CRASH_RESTARTS_PER_MINUTE = 120
PUBLISH_WAIT_S = SETTLE_S + 15   # the outbox's settle time, a reaper tick, a busy host


class Soak:
    """The run's bookkeeping: what was submitted, refused, seen ending, and when."""

    def __init__(self, api: ApiClient, watcher: TerminalWatcher, n: int, grace_s: float,
                 default_timeout_s: int):
        self.api, self.watcher = api, watcher
        self.kinds = workload.mix(n)
        self.grace_s, self.default_timeout_s = grace_s, default_timeout_s
        self.accepted: dict[int, str] = {}      # position in the mix -> eval_id
        self.refused: dict[int, str] = {}       # position -> the answer
        self.resets: list[str] = []             # status polls that failed to connect (retried)
        self._tickets = itertools.count()
        self._lock = threading.Lock()

    def client(self) -> None:
        """One closed-loop client: take the next evaluation of the mix, submit, wait."""
        while True:
            with self._lock:
                position = next(self._tickets)
            if position >= len(self.kinds):
                return
            kind = self.kinds[position]
            try:
                eval_id = self.api.submit(**kind.body())["eval_id"]
            except (ApiError, OSError) as exc:
                self.refused[position] = str(exc)[:300]
                continue
            self.accepted[position] = eval_id
            self.wait(eval_id, (kind.timeout or self.default_timeout_s) + self.grace_s + WAIT_MARGIN_S)

    def wait(self, eval_id: str, limit_s: float) -> None:
        """Until its terminal status is published; every EVENT_CHECK_S without one, ask the
        API (a status change whose publication was lost must not stall the client)."""
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            try:
                self.watcher.wait([eval_id], timeout=EVENT_CHECK_S)
                return
            except TimeoutError:
                try:
                    if self.api.status(eval_id)["status"] in TERMINAL:
                        return
                except OSError as exc:   # requests' ConnectionError too: a GET, safe to ask again
                    self.resets.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        # still not terminal: counted as stuck (or worse) when the records are read back

    def progress(self, started: float, done: threading.Event) -> None:
        while not done.wait(PROGRESS_EVERY_S):
            ended = sum(1 for eval_id in list(self.accepted.values()) if eval_id in self.watcher.ended)
            elapsed = time.monotonic() - started
            print(f"[{elapsed:6.1f} s] submitted {len(self.accepted)}/{len(self.kinds)}, "
                  f"ended {ended}, in flight {len(self.accepted) - ended}, refused {len(self.refused)}, "
                  f"{ended / elapsed:.1f} ended/s", flush=True)


def read_back(api: ApiClient, eval_ids: list[str]) -> tuple[dict[str, dict], list[str]]:
    """Every accepted evaluation's record from the API; the ids it does not know are lost."""
    records, lost = {}, []
    with ThreadPoolExecutor(16) as pool:
        for eval_id, answer in zip(eval_ids, pool.map(
                lambda i: api.request("GET", f"/eval/{i}"), eval_ids)):
            if answer.status_code == 200:
                records[eval_id] = answer.json()
            else:
                lost.append(eval_id)
    return records, lost


def stack_settings(stack: Stack) -> Settings:
    """The settings the stack's processes run with (its EVALPLATFORM_* over the defaults)."""
    return Settings(**{k[len(ENV_PREFIX):].lower(): v for k, v in stack.settings_env.items()
                       if k.startswith(ENV_PREFIX)})


def leaks(settings: Settings, ended: set[str]) -> dict[str, set[str]]:
    """Sandboxes of ENDED evaluations still on this host: processes, cgroups, run dirs."""
    # One /proc scan per id (support.host's marks: EVAL_ID in the environment, the id in
    # the command line): about ten seconds for a thousand, once, at the end.
    return {"processes": {i for i in ended if host.processes_of(i)},
            "cgroups": LocalExecutor(settings).run_ids() & ended,
            "run dirs": {i for i in ended if runner.run_dir(settings, i).exists()}}


def kill_a_worker(stack: Stack, kills: list[str]) -> None:
    """SIGKILL the oldest live worker (a crash); the stack's supervisor restarts it."""
    alive = [i for i, worker in enumerate(stack.workers) if worker.alive()]
    if alive:
        kills.append(stack.workers[alive[0]].name)
        stack.kill_worker(alive[0])


def crash_workers(stack: Stack, every_s: float, done: threading.Event, kills: list[str]) -> None:
    """Every `every_s` seconds: a worker crashes."""
    while not done.wait(every_s):
        kill_a_worker(stack, kills)


def crash_by_count(stack: Stack, watcher: TerminalWatcher, every_n: int, done: threading.Event,
                   kills: list[str]) -> None:
    """Every `every_n` evaluations ended (as published): a worker crashes."""
    next_kill = every_n
    while not done.wait(0.1):
        if len(watcher.ended) >= next_kill:
            kill_a_worker(stack, kills)
            next_kill += every_n


def wait_published(watcher: TerminalWatcher, ended: set[str], timeout_s: float) -> None:
    """Give the outbox its settle time to publish what killed workers never announced."""
    deadline = time.monotonic() + timeout_s
    while ended - watcher.ended.keys() and time.monotonic() < deadline:
        time.sleep(0.2)


def report(soak: Soak, records: dict[str, dict], lost: list[str], settings: Settings,
           wall_s: float, crashes: list[str]) -> int:
    """Print the counts; the number of failures (lost + stuck + wrong + leaked + unpublished)."""
    ended = {i for i, r in records.items() if r["status"] in TERMINAL}
    stuck = sorted(set(records) - ended)
    finished = [p for p in sorted(soak.accepted) if soak.accepted[p] in ended]
    # A crashed worker's evaluation is re-queued once; lost twice it ends failed/worker_lost,
    # which the contract allows. Without crashes it is as wrong as any other outcome.
    allowed = [("failed", "worker_lost")] if crashes else []
    wrong = workload.wrong_outcomes([records[soak.accepted[p]] for p in finished],
                                    [soak.kinds[p] for p in finished], also_allowed=allowed)
    leaked = leaks(settings, ended)
    # Terminal in the store, but no terminal message on the evaluation:{status} channels,
    # even after the outbox's settle time (a killed worker's unpublished commit included).
    wait_published(soak.watcher, ended, PUBLISH_WAIT_S)
    unpublished = sorted(ended - soak.watcher.ended.keys())
    requeued = sum(1 for r in records.values() if (r.get("attempts") or 0) > 1)
    worker_lost = sum(1 for r in records.values() if r.get("reason") == "worker_lost")

    print("\n--- soak result ---")
    print(f"submitted {len(soak.kinds)}, accepted {len(soak.accepted)}, refused {len(soak.refused)}, "
          f"workers crashed {len(crashes)}")
    print(f"lost:            {len(lost) + len(soak.refused)}")
    print(f"stuck:           {len(stuck)}")
    print(f"wrong status:    {len(wrong)}")
    print(f"leaked:          {sum(map(len, leaked.values()))} "
          f"({', '.join(f'{len(v)} {k}' for k, v in leaked.items())})")
    print(f"re-queued:       {requeued} (failed worker_lost: {worker_lost})")
    print(f"unpublished:     {len(unpublished)} (terminal, but never announced on evaluation:{{status}})")
    print(f"status polls that failed to connect, retried: {len(soak.resets)}"
          + (f" (first: {soak.resets[0]})" if soak.resets else ""))
    if ended:
        for line in workload.summary_lines([records[i] for i in ended], wall_s):
            print(line)
    for title, items in (("lost", lost), ("refused", list(soak.refused.items())[:5]),
                         ("stuck", stuck[:5]), ("wrong", wrong[:5]),
                         ("unpublished", [(i, records[i]["status"], records[i]["reason"]) for i in unpublished[:5]]),
                         *((f"leaked {k}", sorted(v)[:5]) for k, v in leaked.items())):
        if items:
            print(f"  {title}: {items}")
    return (len(lost) + len(soak.refused) + len(stuck) + len(wrong) + sum(map(len, leaked.values()))
            + len(unpublished))


def diagnose_stuck(stack: Stack, stuck: list[str], most: int = 3) -> None:
    """The platform's own `diagnose` timeline of a few stuck evaluations, while the stack is up."""
    env = {**os.environ, **stack.urls}
    for eval_id in stuck[:most]:
        print(f"\n--- diagnose {eval_id} ---", flush=True)
        subprocess.run([sys.executable, "-m", "evalplatform", "diagnose", eval_id], env=env,
                       cwd=PROJECT_ROOT, timeout=60, check=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="evaluations in all")
    parser.add_argument("--concurrency", type=int, default=50, help="closed-loop clients")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--slots", type=int, default=4,
                        help="slots per worker (most of the mix sleeps; 0: the platform's default)")
    crash = parser.add_mutually_exclusive_group()
    crash.add_argument("--crash-every", type=float, default=0, metavar="S",
                       help="SIGKILL a worker every S seconds; the supervisor restarts it (0: never)")
    crash.add_argument("--kill-every-n", type=int, default=0, metavar="N",
                       help="SIGKILL a worker every N evaluations ended (0: never)")
    args = parser.parse_args(argv)

    env = {"EVALPLATFORM_WORKER_CONCURRENCY": str(args.slots)} if args.slots else {}
    crashing = bool(args.crash_every or args.kill_every_n)
    policy = RestartPolicy(per_minute=CRASH_RESTARTS_PER_MINUTE) if crashing else RestartPolicy()
    print(f"starting a stack: {args.workers} workers x {args.slots or 'default'} slots", flush=True)
    with Stack(workers=args.workers, env=env, restart_policy=policy).start(timeout=60) as stack:
        settings = stack_settings(stack)
        api = ApiClient(stack.urls["API_URL"], pool_size=args.concurrency + 16)
        soak = Soak(api, TerminalWatcher(stack.urls["REDIS_URL"]), args.n, settings.reaper_grace_s,
                    settings.default_timeout_s)
        mix = {name: sum(k.name == name for k in soak.kinds) for name in workload.KINDS}
        print(f"soak: {args.n} evaluations ({', '.join(f'{v} {k}' for k, v in mix.items())}) "
              f"from {args.concurrency} concurrent clients"
              + (f", a worker crashed every {args.crash_every:g} s" if args.crash_every else "")
              + (f", a worker crashed every {args.kill_every_n} evaluations" if args.kill_every_n else ""),
              flush=True)

        started, done, crashes = time.monotonic(), threading.Event(), []
        threading.Thread(target=soak.progress, args=(started, done), daemon=True).start()
        if args.crash_every:
            threading.Thread(target=crash_workers, args=(stack, args.crash_every, done, crashes),
                             daemon=True).start()
        if args.kill_every_n:
            threading.Thread(target=crash_by_count, args=(stack, soak.watcher, args.kill_every_n, done, crashes),
                             daemon=True).start()
        with ThreadPoolExecutor(args.concurrency) as pool:
            for future in [pool.submit(soak.client) for _ in range(args.concurrency)]:
                future.result()
        wall_s = time.monotonic() - started
        done.set()

        records, lost = read_back(api, [soak.accepted[p] for p in sorted(soak.accepted)])
        failures = report(soak, records, lost, settings, wall_s, crashes)
        print("supervisor restarts: " + ", ".join(f"{name} {record['restarts']}"
                                                  for name, record in stack.restarts().items()))
        diagnose_stuck(stack, [i for i, r in records.items() if r["status"] not in TERMINAL])
        api.close()
        return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
