"""`python -m evalplatform <command>`: up, doctor, submit, state, diagnose (and k8s if present)."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ("up", "doctor", "submit", "state", "diagnose")
OPTIONAL_COMMANDS = ("k8s",)   # modules other parts of the project may provide


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
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
