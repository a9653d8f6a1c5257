"""The embedded stack's Python services, started as `python -m evalplatform.stack_services`:

    worker NAME      a Celery worker (NAME: worker0@%h, %h is this host's name)
    api PORT         the API under uvicorn, on 127.0.0.1:PORT

Each is what its command line would start (`celery -A evalplatform.queue.app:celery_app
worker`, `uvicorn evalplatform.api.app:app`): the same app.Worker configured by the app and
the settings (thread pool, concurrency, queues), the same uvicorn Server. Only the way in
differs, because a cold start is mostly these two processes importing on two cores:

- no `celery` command line, whose module imports every subcommand (amqp's REPL and
  prompt_toolkit among them), nor uvicorn's click command;
- the cyclic garbage collector is off while the modules are imported (a fifth of their
  import time goes to collections that find nothing), until the service serves (the
  worker consumes, the API's startup is done), then on again, with what the start made
  moved out of its sight (gc.freeze): it is kept for the process's life;
- the worker says READY=1 to the stack (supervise.Readiness) once it consumes (Celery's
  worker_ready: its control queue is listened to, so a ping is answered).
"""

from __future__ import annotations

import gc
import sys

gc.disable()   # before the imports below and the ones main() makes; see _started()

import argparse  # noqa: E402

from evalplatform.supervise import notify_ready  # noqa: E402

STARTUP_FAILURE = 3     # uvicorn's exit status for an app that did not start
API_KEEP_ALIVE_S = 75   # longer than a client's idle pooled connection usually waits
#                         (uvicorn's 5 s default: a poll every 5 s raced the close, and lost)


def _started() -> None:
    """The imports are done: collect again, never looking at what they made."""
    gc.freeze()
    gc.enable()


def worker(hostname: str, loglevel: str) -> int:
    from celery import signals
    from celery.platforms import maybe_drop_privileges
    from celery.utils.nodenames import default_nodename, host_format

    from evalplatform.queue.app import celery_app

    def ready(**_) -> None:
        _started()
        notify_ready()

    signals.worker_ready.connect(ready, weak=False)
    maybe_drop_privileges()       # as `celery worker` does (it refuses root with pickle)
    celery_worker = celery_app.Worker(hostname=host_format(default_nodename(hostname)),
                                      loglevel=loglevel, without_gossip=True,
                                      without_mingle=True, without_heartbeat=True)
    celery_worker.start()
    return celery_worker.exitcode or 0


def api(port: int, log_level: str) -> int:
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)   # the app's lifespan: it imports too (migrations)
            _started()

    config = uvicorn.Config("evalplatform.api.app:app", host="127.0.0.1", port=port,
                            access_log=False, log_level=log_level,
                            timeout_keep_alive=API_KEEP_ALIVE_S)
    server = Server(config)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0 if server.started else STARTUP_FAILURE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evalplatform.stack_services")
    services = parser.add_subparsers(dest="service", required=True)
    as_worker = services.add_parser("worker", help="a Celery worker")
    as_worker.add_argument("hostname", help="its node name; %%h is this host's name (worker0@%%h)")
    as_worker.add_argument("--loglevel", default="INFO")
    as_api = services.add_parser("api", help="the API under uvicorn on 127.0.0.1")
    as_api.add_argument("port", type=int)
    as_api.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    if args.service == "worker":
        return worker(args.hostname, args.loglevel)
    return api(args.port, args.log_level)


if __name__ == "__main__":
    sys.exit(main())
