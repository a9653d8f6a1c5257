"""Where the running platform is, for the CLI, and what to say when it cannot be reached.

The platform's URLs come from ONE source, the first of:
1. `--env-file FILE` (KEY=value lines, as `up` writes them);
2. the suite's variables exported in the environment (API_URL, REDIS_URL, ...);
3. the stack file `up` writes in a per-user place (stack_file(): $XDG_RUNTIME_DIR/
   evalplatform/stack.env, else ~/.local/state/evalplatform/stack.env), so `submit` right
   after `up`, in the same shell or another, finds that stack with nothing exported;
4. the platform's own settings (EVALPLATFORM_*), so the tools work on a worker host too.
Mixing sources key by key could pair one stack's API with another's database, so a
source is taken whole (a key it lacks comes from the settings). `--api` overrides API_URL.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Optional

URL_KEYS = ("API_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DATABASE_URL")
SOURCE_KEY = "_source"      # in urls(): where they came from, for error messages
START_HINT = "start one with `python -m evalplatform up`, or name it with --env-file FILE / --api URL"


class CliError(Exception):
    """A failure the user can fix: printed as one line, with the fix, and a non-zero exit."""


def stack_file() -> Path:
    """The per-user file `up` writes and every command reads (see module docstring)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "evalplatform" / "stack.env"
    state_home = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state_home) / "evalplatform" / "stack.env"


def read_env_file(path) -> dict[str, str]:
    """KEY=value lines; blank lines and # comments ignored."""
    values = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env-file", help=f"KEY=value file written by `up` (default: {stack_file()})")
    parser.add_argument("--api", help="the API base URL, ending in /api (overrides API_URL)")


def _source(args: argparse.Namespace) -> tuple[dict[str, str], str]:
    if getattr(args, "env_file", None):
        try:
            return read_env_file(args.env_file), args.env_file
        except OSError as exc:
            raise CliError(f"cannot read the env file {args.env_file}: {exc.strerror}; name the file "
                           f"`up --env-file` wrote, or leave --env-file out to use {stack_file()}") from None
    exported = {k: os.environ[k] for k in URL_KEYS if os.environ.get(k)}
    if exported:
        return exported, "the environment (" + ", ".join(sorted(exported)) + ")"
    default = stack_file()
    if default.is_file():
        return read_env_file(default), str(default)
    return {}, "the EVALPLATFORM_* settings (no stack file at " + str(default) + ")"


def urls(args: argparse.Namespace) -> dict[str, Optional[str]]:
    """The platform's URLs (see module docstring), with SOURCE_KEY naming their source."""
    found, source = _source(args)
    from evalplatform.settings import get_settings
    settings = get_settings()
    fallbacks = {
        "API_URL": f"http://{settings.api_host}:{settings.api_port}/api",
        "REDIS_URL": settings.redis_url,
        "CELERY_BROKER_URL": settings.broker_url,
        "CELERY_RESULT_BACKEND": settings.result_backend,
        "DATABASE_URL": settings.database_url,
    }
    values: dict[str, Optional[str]] = {k: found.get(k) or fallbacks[k] for k in URL_KEYS}
    if getattr(args, "api", None):
        values["API_URL"] = args.api
    values["API_URL"] = values["API_URL"].rstrip("/")
    values[SOURCE_KEY] = source
    return values


# What each kind of connection failure means: (the service, the URL key naming it).
def _unreachable_service(exc: BaseException) -> Optional[tuple[str, str]]:
    kinds = []
    try:
        import httpx
        kinds.append(((httpx.TransportError,), ("the API", "API_URL")))
    except ImportError:
        pass
    try:
        import redis
        kinds.append(((redis.ConnectionError, redis.TimeoutError), ("Redis", "REDIS_URL")))
    except ImportError:
        pass
    try:
        import psycopg
        import sqlalchemy.exc
        kinds.append(((psycopg.OperationalError, sqlalchemy.exc.OperationalError,
                       sqlalchemy.exc.InterfaceError), ("PostgreSQL", "DATABASE_URL")))
    except ImportError:
        pass
    try:
        import kombu.exceptions
        kinds.append(((kombu.exceptions.OperationalError,), ("the broker", "CELERY_BROKER_URL")))
    except ImportError:
        pass
    for types, service in kinds:
        if isinstance(exc, types):
            return service
    return None


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def explain(exc: BaseException, found: Optional[dict]) -> Optional[str]:
    """One line for a failure to reach the platform, naming the URL, its source and the fix;
    None when `exc` is not such a failure."""
    service = _unreachable_service(exc)
    if service is None:
        return None
    name, key = service
    where = f" at {found[key]} (from {found[SOURCE_KEY]})" if found and found.get(key) else ""
    return f"cannot reach {name}{where}: {first_line(exc)}; is the stack running? {START_HINT}"
