"""Where the running platform is, for the CLI: an env file, else the environment.

The env file is the one `up --env-file` writes (KEY=value lines). Without one, the
suite's variables (API_URL, REDIS_URL, ...) are used, then the platform's own settings
(EVALPLATFORM_*), so the tools work on a worker host too.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Optional

URL_KEYS = ("API_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DATABASE_URL")


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
    parser.add_argument("--env-file", help="KEY=value file written by `up --env-file`")
    parser.add_argument("--api", help="the API base URL, ending in /api (overrides API_URL)")


def urls(args: argparse.Namespace) -> dict[str, Optional[str]]:
    """The platform's URLs: --api, then the env file, then API_URL & co, then EVALPLATFORM_*."""
    found: dict[str, Optional[str]] = {k: os.environ.get(k) for k in URL_KEYS}
    if getattr(args, "env_file", None):
        found.update(read_env_file(args.env_file))
    from evalplatform.settings import get_settings
    settings = get_settings()
    fallbacks = {
        "API_URL": f"http://{settings.api_host}:{settings.api_port}/api",
        "REDIS_URL": settings.redis_url,
        "CELERY_BROKER_URL": settings.broker_url,
        "CELERY_RESULT_BACKEND": settings.result_backend,
        "DATABASE_URL": settings.database_url,
    }
    for key, value in fallbacks.items():
        found[key] = found.get(key) or value
    if getattr(args, "api", None):
        found["API_URL"] = args.api
    found["API_URL"] = found["API_URL"].rstrip("/")
    return found
