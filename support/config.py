"""The one source of truth for the suite's target: which deployment it checks and how.

Everything comes from environment variables, so that one command line can point the
suite at any deployment that speaks ../shared/platform-contract.md:

| variable | meaning |
|---|---|
| `API_URL` | the API's base URL, ending in `/api`. Unset: the suite starts the embedded stack |
| `REDIS_URL` | the Redis holding running keys and the pub/sub channels |
| `CELERY_BROKER_URL`, `CELERY_RESULT_BACKEND` | the Celery broker and result backend |
| `DATABASE_URL` | the PostgreSQL database (SQLAlchemy URL; `postgresql://` is read with psycopg 3) |
| `K8S_NAMESPACE`, `KUBECONFIG` | the Kubernetes target, for @k8s scenarios |
| `REQUIRE_GVISOR` | `true`: a target without the gVisor engine fails the gVisor scenarios |
| `SUITE_PROFILE` | `production` runs @production scenarios and requires their capabilities |
| `SUITE_TIMEOUT_SCALE` | multiplies every deadline (slow machines, remote targets); default 1 |
| `SUITE_LOAD_N` | concurrent submissions of the @load feature; default 50 |

Nothing else in the suite reads the environment for the target.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Mapping

URL_VARIABLES = ("API_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DATABASE_URL")
PRODUCTION = "production"


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Target:
    """Where the platform under test lives, and what this run demands of it."""

    api_url: str | None = None
    redis_url: str | None = None
    broker_url: str | None = None
    result_backend: str | None = None
    database_url: str | None = None
    k8s_namespace: str = "default"
    kubeconfig: str | None = None
    require_gvisor: bool = False
    profile: str = "default"
    timeout_scale: float = 1.0
    load_n: int = 50
    # True when the suite started the platform itself (it may then inspect and control
    # the host's processes: hygiene and chaos scenarios).
    embedded: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Target":
        env = os.environ if env is None else env
        return cls(
            api_url=(env.get("API_URL") or None),
            redis_url=env.get("REDIS_URL") or None,
            broker_url=env.get("CELERY_BROKER_URL") or None,
            result_backend=env.get("CELERY_RESULT_BACKEND") or None,
            database_url=env.get("DATABASE_URL") or None,
            k8s_namespace=env.get("K8S_NAMESPACE") or "default",
            kubeconfig=env.get("KUBECONFIG") or None,
            require_gvisor=_flag(env.get("REQUIRE_GVISOR")),
            profile=(env.get("SUITE_PROFILE") or "default").strip().lower(),
            timeout_scale=float(env.get("SUITE_TIMEOUT_SCALE") or 1.0),
            load_n=int(env.get("SUITE_LOAD_N") or 50),
        )

    def with_embedded_urls(self, urls: Mapping[str, str]) -> "Target":
        """This target, pointed at a stack the suite started (its `.urls` mapping)."""
        return replace(
            self,
            api_url=urls["API_URL"],
            redis_url=urls["REDIS_URL"],
            broker_url=urls["CELERY_BROKER_URL"],
            result_backend=urls["CELERY_RESULT_BACKEND"],
            database_url=urls["DATABASE_URL"],
            embedded=True,
        )

    @property
    def production(self) -> bool:
        """The production profile: gVisor required, @production scenarios run."""
        return self.require_gvisor or self.profile == PRODUCTION

    @property
    def k8s(self) -> bool:
        return self.kubeconfig is not None

    def seconds(self, base: float) -> float:
        """A deadline of `base` seconds, scaled for this target."""
        return base * self.timeout_scale

    def missing_urls(self) -> list[str]:
        names = dict(zip(URL_VARIABLES, (self.api_url, self.redis_url, self.broker_url,
                                         self.result_backend, self.database_url)))
        return [name for name, value in names.items() if not value]


def requested() -> Target:
    """The target this run was asked to check (before any embedded stack is started)."""
    return Target.from_env()
