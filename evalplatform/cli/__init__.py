"""Command-line utilities (`python -m evalplatform <command>`), one module per command.

Each module exposes `register(subparsers)`, which adds its parser and sets `func`.
Commands that talk to a running platform find it through `connection` below.
"""
