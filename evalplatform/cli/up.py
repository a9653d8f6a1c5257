"""`up`: start the embedded stack, write the env file once healthy, run until a signal.

The env file always goes to the per-user stack file (connection.stack_file()), where every
other command looks when nothing else names a platform, and also to --env-file if given.
On stop the stack file is removed, unless another `up` has replaced it since.
The stack's children get the stack's own settings whatever this shell exports (see
Stack._process_env). The settings are checked while the services start (Stack.start's
`while_starting`: their import is time the services import in), and an invalid one stops
them and is a one-line error.
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import time


class _Stop(Exception):
    """Raised by the signal handler so that start() or the wait unwinds into stop()."""


def register(subparsers) -> None:
    parser = subparsers.add_parser("up", help="start the embedded platform until SIGINT/SIGTERM")
    parser.add_argument("--workers", type=int, default=None, help="Celery worker processes (default 1)")
    parser.add_argument("--env-file", help="also write API_URL, REDIS_URL, ... here once healthy "
                                           "(they always go to the per-user stack file)")
    parser.add_argument("--data-dir", help="keep PostgreSQL and Redis data here between runs")
    parser.add_argument("--engine", choices=["auto", "nsjail", "bwrap", "gvisor"],
                        help="sandbox engine (EVALPLATFORM_SANDBOX_ENGINE)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to become healthy")
    parser.add_argument("--listen", action="append", default=[], metavar="ADDR/PREFIX",
                        help="Redis and PostgreSQL also listen on this interface address, trusting "
                             "its network (Redis then needs a password); the --env-file names it, "
                             "for workers on other hosts")
    parser.add_argument("--without-api", action="store_true", help="no API (run your own)")
    parser.add_argument("--without-workers", action="store_true", help="no workers (run your own)")
    parser.set_defaults(func=run)


def _raise_stop(signum, frame):
    raise _Stop(signal.Signals(signum).name)


def run(args: argparse.Namespace) -> int:
    from evalplatform.cli.connection import read_env_file, stack_file
    from evalplatform.stack import Stack, StackError
    env = {"EVALPLATFORM_SANDBOX_ENGINE": args.engine} if args.engine else {}
    stack = Stack(workers=args.workers, data_dir=args.data_dir, env=env,
                  with_api=not args.without_api, with_workers=not args.without_workers,
                  echo=sys.stderr, listen_on=tuple(args.listen))
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise_stop)
    began = time.monotonic()
    try:
        gc.disable()   # while the start imports (see stack_services): collections would find nothing
        try:
            stack.start(timeout=args.timeout, while_starting=lambda: _check_settings(args.engine))
        finally:
            gc.freeze()
            gc.enable()
        shared = stack_file()
        shared.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        stack.write_env_file(shared)
        if args.env_file:
            stack.write_env_file(args.env_file, **({"host": str(stack.listen_on[0].ip)} if stack.listen_on else {}))
        phases = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in stack.timings.items()
                           if name != "healthy")
        print(f"evalplatform up in {time.monotonic() - began:.2f}s "
              f"(healthy: {phases}; logs: {stack.dir}/logs)")
        for key, value in stack.urls.items():
            print(f"{key}={value}")
        sys.stdout.flush()
        while True:
            signal.pause()
    except _Stop as stop:
        print(f"{stop}: stopping", file=sys.stderr)
        return 0
    except StackError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if stack._ports:
            _remove_if_ours(stack_file(), stack.urls["API_URL"], read_env_file)
        stack.stop()


def _check_settings(engine) -> None:
    """SettingsError (one line, naming the variable) when a setting is invalid."""
    from evalplatform.settings import load_settings
    load_settings(**({"sandbox_engine": engine} if engine else {}))


def _remove_if_ours(path, api_url: str, read) -> None:
    """Remove the stack file if it still names this stack (a later `up` may own it now)."""
    try:
        if read(path).get("API_URL") == api_url:
            path.unlink()
    except OSError:
        pass
