"""One settings object for the whole platform.

Every value comes from an environment variable named EVALPLATFORM_<FIELD> (for example
EVALPLATFORM_SANDBOX_ENGINE=bwrap). The embedded stack (stack.py) sets the connection
URLs for the processes it starts; a worker on another host needs only the same
EVALPLATFORM_DATABASE_URL, EVALPLATFORM_BROKER_URL, EVALPLATFORM_RESULT_BACKEND and
EVALPLATFORM_REDIS_URL to join. The README's "Configuration" table documents each field.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SLOTS_PER_CORE = 2

class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVALPLATFORM_", extra="ignore")

    # Deployment profile. `production` refuses failpoints and requires real isolation.
    profile: Literal["dev", "production"] = "dev"

    # Where evaluations run: `local` sandbox engines, or Kubernetes Jobs under gVisor.
    executor: Literal["local", "kubernetes"] = "local"
    # `auto` picks nsjail, then bubblewrap; gVisor (slow to start) only when named.
    sandbox_engine: Literal["auto", "nsjail", "bwrap", "gvisor"] = "auto"

    # Connections.
    database_url: str = "postgresql+psycopg://evalplatform@127.0.0.1:5432/evalplatform"
    redis_url: str = "redis://127.0.0.1:6379/0"          # state: running keys, pub/sub
    broker_url: str = "redis://127.0.0.1:6379/1"         # Celery broker
    result_backend: str = "redis://127.0.0.1:6379/2"     # Celery results

    # Sandbox environments (python-ml and any others) live here, outside the project.
    envs_dir: str = "/opt/evalplatform/envs"
    # Host-side per-run directories (code file, OCI bundles); each is removed after its run.
    work_root: str = "/var/tmp/evalplatform"
    # Name of the cgroup (v1: in each controller hierarchy; v2: under the root) that holds
    # every run's own cgroup. Owned by the platform so it can read OOM kills and kill trees.
    cgroup_parent: str = "evalplatform"

    # Limits of one evaluation: the defaults, and the maxima a request may ask for (each
    # written here once; the API checks requests against them, evalplatform/run.py fills in
    # the defaults).
    default_timeout_s: int = Field(30, ge=1)
    max_timeout_s: int = Field(300, ge=1)
    default_memory_mb: int = Field(256, ge=16)
    max_memory_mb: int = Field(2048, ge=16)
    pids_limit: int = Field(64, ge=8)
    cpu_time_s: int = Field(0, ge=0)      # 0: the evaluation's timeout
    file_size_mb: int = Field(16, ge=1)
    scratch_mb: int = Field(64, ge=1)
    output_limit_bytes: int = Field(1024 * 1024, ge=1024)   # stdout and stderr, each

    # Queue and workers.
    # Evaluation slots per worker: two per core. A slot is held for the platform's own
    # round trips and the sandbox's start and end as well as for the code's run, and a
    # core idles through those waits with one slot per core (docs/performance.md).
    worker_concurrency: int = Field(default_factory=lambda: SLOTS_PER_CORE * (os.cpu_count() or 1), ge=1)
    queue_max_depth: int = Field(1000, ge=1)    # queued evaluations before 503 + Retry-After
    reaper_interval_s: float = 1.0
    reaper_grace_s: int = 15                    # past timeout + grace, a non-terminal eval is ended

    # Failpoints (test-only; see evalplatform/failpoints.py). Honoured only when
    # failpoints_allowed is also set, and never in the production profile.
    failpoints: str = ""
    failpoints_allowed: bool = False

    # Kubernetes executor (executor=kubernetes); docs/kubernetes.md explains each field.
    k8s_namespace: str = "evalplatform-evals"       # where evaluation Jobs are created
    k8s_api_host: str = ""          # an explicit API server URL (the tests' emulator); else
    k8s_kubeconfig: str = ""        # the Pod's service account in a cluster, else this kubeconfig
    k8s_context: str = ""           # and context (empty: $KUBECONFIG or ~/.kube/config, current)
    k8s_runtime_class: str = "gvisor"
    k8s_images: dict[str, str] = {"python": "python:3.11-slim",
                                  "python-ml": "evalplatform/python-ml:latest"}
    k8s_ttl_s: int = Field(300, ge=0)              # ttlSecondsAfterFinished of every Job
    k8s_start_timeout_s: int = Field(120, ge=1)    # scheduling + image pull allowance
    k8s_poll_interval_s: float = Field(1.0, gt=0)
    k8s_uid: int = Field(65534, ge=1)               # non-zero: restricted Pod Security
    k8s_cpu_request: str = "100m"
    k8s_cpu_limit: str = "1"                        # when the evaluation names none
    k8s_created_by: str = "evalplatform"            # the Jobs' `created-by` label

    # Embedded stack (stack.py): PostgreSQL's server binaries (initdb, postgres).
    pg_bin: str = "/usr/lib/postgresql/15/bin"

    # API server.
    # Run the Alembic migrations when the API starts. False where the schema is known to be
    # at head: the embedded stack's fresh copy of the migrated template, or a deployment
    # that migrates in a release step of its own.
    migrate_on_start: bool = True
    api_host: str = "127.0.0.1"
    api_port: int = 8080

    @model_validator(mode="after")
    def _defaults_within_maxima(self) -> "Settings":
        for default, maximum in (("default_timeout_s", "max_timeout_s"), ("default_memory_mb", "max_memory_mb")):
            if getattr(self, default) > getattr(self, maximum):
                raise ValueError(f"{default} ({getattr(self, default)}) must not exceed {maximum} ({getattr(self, maximum)})")
        return self


ENV_PREFIX = "EVALPLATFORM_"


class SettingsError(ValueError):
    """An invalid setting, said in one line that names its variable and what it accepts."""


def describe_invalid(error: ValidationError) -> str:
    """`EVALPLATFORM_SANDBOX_ENGINE='bogus': Input should be 'auto', ...` for each bad field."""
    parts = []
    for problem in error.errors():
        if not problem.get("loc"):   # a check across fields: its message names them
            parts.append(str(problem.get("msg", "invalid")).removeprefix("Value error, "))
            continue
        field = str(problem["loc"][0])
        value = problem.get("input")
        shown = f"={value!r}" if isinstance(value, (str, int, float, bool)) else ""
        parts.append(f"{ENV_PREFIX}{field.upper()}{shown}: {problem.get('msg', 'invalid')}")
    return "invalid setting " + "; ".join(parts)


def load_settings(**values) -> Settings:
    """Settings from the environment (and `values`); SettingsError when one is invalid."""
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise SettingsError(describe_invalid(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return load_settings()
