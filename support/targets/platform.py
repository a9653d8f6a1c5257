"""A platform as a code runner: each run is an evaluation submitted through the API and
waited for until it is terminal, its record returned as the platform stored it.

The isolation steps run their probes through a runner, whatever the target is: this one
for platforms (embedded or http), the sandbox runners beside it for `command:` and
`inspect:` targets. A runner's `run` answers a record shaped like the contract's
`GET /api/eval/{id}`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from support.config import Target
from support.evaluations import Evaluations


class PlatformRunner:
    kind = "platform"

    def __init__(self, evaluations: Evaluations, target: Target):
        self.evaluations = evaluations
        self.target = target
        self.description = target.description
        self.local = target.local

    def run(self, code: str, *, timeout: int | None = None, memory_limit: str | None = None,
            **fields: Any) -> dict:
        limits = {"timeout": timeout, "memory_limit": memory_limit}
        # The record as the platform stored it: the platform contains its runs itself (there is
        # no safety net of the suite's around it), so it carries no `contained_by_suite`.
        return self.evaluations.run(code, **{k: v for k, v in {**limits, **fields}.items() if v is not None})

    def secret_needles(self) -> list[str]:
        """What would betray the platform in an evaluation's environment: its URLs and host:port."""
        t = self.target
        urls = [u for u in (t.api_url, t.redis_url, t.broker_url, t.result_backend, t.database_url) if u]
        return sorted(set(urls) | {urlsplit(u).netloc.rpartition("@")[2] for u in urls})

    def close(self) -> None:
        """Nothing to release: the API client belongs to the session."""
