"""`python -m evalplatform <command>`: up, doctor, submit, state, diagnose (and k8s if present).

Every failure a user can act on ends as ONE line on stderr, naming what failed and the
fix, with a non-zero exit (2): an unreachable stack, an invalid setting, a missing file.
Anything else is one line too, with the way to see its traceback (TRACEBACK_VARIABLE=1).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS = ("up", "doctor", "submit", "state", "diagnose")
OPTIONAL_COMMANDS = ("k8s",)   # modules other parts of the project may provide
TRACEBACK_VARIABLE = "EVALPLATFORM_TRACEBACK"
USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evalplatform")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"evalplatform.cli.{name}").register(subparsers)
    for name in OPTIONAL_COMMANDS:
        try:
            module = importlib.import_module(f"evalplatform.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"evalplatform.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "passthrough", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    if os.environ.get(TRACEBACK_VARIABLE) == "1":
        return args.func(args) or 0
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:   # one line, never a traceback (see module docstring)
        print(f"evalplatform {args.command}: {_one_line(exc, args)}", file=sys.stderr)
        return USAGE_ERROR


def _one_line(exc: Exception, args: argparse.Namespace) -> str:
    from evalplatform.cli import connection
    from evalplatform.settings import SettingsError
    if isinstance(exc, (connection.CliError, SettingsError)):
        return str(exc) + ("; fix the variable or unset it" if isinstance(exc, SettingsError) else "")
    try:
        found = connection.urls(args) if hasattr(args, "env_file") else None
    except Exception:
        found = None
    explained = connection.explain(exc, found)
    if explained:
        return explained
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return (f"{type(exc).__name__}: {connection.first_line(exc)} "
            f"(run with {TRACEBACK_VARIABLE}=1 for the traceback)")


if __name__ == "__main__":
    sys.exit(main())
