"""`doctor`: check this host can run the platform (evalplatform.doctor, imported on use).

Its options (e.g. --json) belong to evalplatform.doctor, so they are passed through as
they are rather than declared twice.
"""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser("doctor", help="check this host's sandbox prerequisites "
                                                  "(options: see `doctor --help`)", add_help=False)
    parser.set_defaults(func=run, passthrough=True)


def run(args) -> int:
    from evalplatform.doctor import main
    return main(args.extra) or 0
