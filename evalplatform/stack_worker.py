"""The embedded stack's Celery worker process: `python -m evalplatform.stack_worker NAME`.

The same worker `celery -A evalplatform.queue.app:celery_app worker` starts (the same
app.Worker, configured by the app and the settings: thread pool, concurrency, queues),
without the `celery` command line: its module imports every subcommand (amqp's REPL,
prompt_toolkit, ...), about a tenth of a second of CPU at every start, on cores the API
is importing on. Once the worker consumes (Celery's worker_ready: its control queue is
listened to, so a ping is answered) it says READY=1 to the stack (supervise.Readiness).
"""

from __future__ import annotations

import argparse
import sys

from evalplatform.supervise import notify_ready


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evalplatform.stack_worker")
    parser.add_argument("hostname", help="the node name; %%h is this host's name (worker0@%%h)")
    parser.add_argument("--loglevel", default="INFO")
    args = parser.parse_args(argv)

    from celery import signals
    from celery.platforms import maybe_drop_privileges
    from celery.utils.nodenames import default_nodename, host_format

    from evalplatform.queue.app import celery_app

    signals.worker_ready.connect(lambda **_: notify_ready(), weak=False)
    maybe_drop_privileges()       # as `celery worker` does (it refuses root with pickle)
    worker = celery_app.Worker(hostname=host_format(default_nodename(args.hostname)),
                               loglevel=args.loglevel, without_gossip=True,
                               without_mingle=True, without_heartbeat=True)
    worker.start()
    return worker.exitcode or 0


if __name__ == "__main__":
    sys.exit(main())
