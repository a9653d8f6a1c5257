"""The one source of truth for the suite's target: what it judges and how.

Everything comes from environment variables (and `--target-profile`), so that one command
line can point the suite at any deployment that speaks docs/contract.md, or at a sandbox
that is not a platform at all:

| variable | meaning |
|---|---|
| `SUITE_TARGET` | what is judged: `embedded` (default: the suite starts the reference platform), `http` (the deployment at `API_URL`), `command:<prefix>` (a sandbox command; the probe is appended as `python3 -c CODE`), `inspect:<provider>` (an inspect_ai sandbox provider). With `API_URL` set and `SUITE_TARGET` unset: `http` |
| `API_URL` | the API's base URL, ending in `/api` |
| `REDIS_URL` | the Redis holding running keys and the pub/sub channels |
| `CELERY_BROKER_URL`, `CELERY_RESULT_BACKEND` | the Celery broker and result backend |
| `DATABASE_URL` | the PostgreSQL database (SQLAlchemy URL; `postgresql://` is read with psycopg 3) |
| `SUITE_DIALECT` | the HTTP contract's dialect: `contract` or `crucible`; unset: detected from the target's answers |
| `SUITE_TARGET_PROFILE` | the operator's target profile (YAML, see support/profile.py); also `--target-profile FILE` |
| `SUITE_INSPECT_CONFIG` | the inspect provider's sandbox config (a file, or inline JSON/YAML) |
| `K8S_NAMESPACE`, `KUBECONFIG` | the Kubernetes target, for @k8s scenarios |
| `REQUIRE_GVISOR` | `true`: a target without the gVisor engine fails the gVisor scenarios |
| `SUITE_PROFILE` | `production` runs @production scenarios and requires their capabilities |
| `SUITE_TIMEOUT_SCALE` | multiplies every deadline (slow machines, remote targets); default 1 |
| `SUITE_LOAD_N` | concurrent submissions of the @load feature; default 50 |

Nothing else in the suite reads the environment for the target. A bad value is a
`SettingError`: one line that names the variable, shown instead of a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Mapping

URL_VARIABLES = ("API_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DATABASE_URL")
PRODUCTION = "production"
# Target kinds. The first two are platforms (an HTTP API around a sandbox); the others
# are sandboxes only, which the isolation features judge and the platform features do not.
EMBEDDED, HTTP, COMMAND, INSPECT = "embedded", "http", "command", "inspect"
PLATFORM_KINDS = frozenset({EMBEDDED, HTTP})
KINDS = (EMBEDDED, HTTP, COMMAND, INSPECT)
DIALECTS = ("contract", "crucible")
# inspect providers whose sandboxes run on this machine (so the host-looking scenarios apply).
LOCAL_INSPECT_PROVIDERS = frozenset({"local", "docker", "evalplatform"})


class SettingError(Exception):
    """A suite setting that cannot be used; the message is one line naming the variable."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _number(env: Mapping[str, str], name: str, default: float, kind=float, minimum: float = 0):
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a {'whole ' if kind is int else ''}number "
                           f"(e.g. {name}={kind(default)})") from None
    if value <= minimum:
        raise SettingError(f"{name}={raw!r} must be greater than {minimum:g}")
    return value


def _kind_and_spec(env: Mapping[str, str]) -> tuple[str, str]:
    raw = (env.get("SUITE_TARGET") or "").strip()
    if not raw:
        return (HTTP if env.get("API_URL") else EMBEDDED), ""
    kind, _, spec = raw.partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise SettingError(f"SUITE_TARGET={raw!r}: the kind must be one of {', '.join(KINDS)} "
                           f"(e.g. SUITE_TARGET='command:bwrap --unshare-all ... --' or SUITE_TARGET=inspect:local)")
    if kind in (COMMAND, INSPECT) and not spec.strip():
        raise SettingError(f"SUITE_TARGET={raw!r} names no {'command prefix' if kind == COMMAND else 'provider'} "
                           f"after '{kind}:'")
    if kind == HTTP and not env.get("API_URL"):
        raise SettingError("SUITE_TARGET=http needs API_URL (the deployment's base URL, ending in /api)")
    return kind, spec.strip()


@dataclass(frozen=True)
class Target:
    """What this run judges, and what it demands of it."""

    kind: str = EMBEDDED
    spec: str = ""                 # the command prefix or the inspect provider
    api_url: str | None = None
    redis_url: str | None = None
    broker_url: str | None = None
    result_backend: str | None = None
    database_url: str | None = None
    dialect: str | None = None     # SUITE_DIALECT; None: detected
    profile_path: str | None = None
    inspect_config: str | None = None
    k8s_namespace: str = "default"
    kubeconfig: str | None = None
    require_gvisor: bool = False
    profile: str = "default"
    timeout_scale: float = 1.0
    load_n: int = 50
    # True when the suite started the platform itself (it may then inspect and control
    # the host's processes: hygiene and chaos scenarios).
    embedded: bool = False
    # Embedded: how many Celery workers the suite started, so a remote-control call stops
    # once that many have answered instead of waiting out its timeout for others.
    workers: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Target":
        env = os.environ if env is None else env
        kind, spec = _kind_and_spec(env)
        dialect = (env.get("SUITE_DIALECT") or "").strip().lower() or None
        if dialect and dialect not in DIALECTS:
            raise SettingError(f"SUITE_DIALECT={dialect!r}: known dialects are {', '.join(DIALECTS)} "
                               f"(unset it to detect the dialect from the target's answers)")
        if kind not in PLATFORM_KINDS and env.get("API_URL"):
            raise SettingError(f"SUITE_TARGET={kind}:... judges a sandbox, not a platform; unset API_URL "
                               f"(or set SUITE_TARGET=http to judge the deployment at API_URL)")
        return cls(
            kind=kind,
            spec=spec,
            api_url=(env.get("API_URL") or None),
            redis_url=env.get("REDIS_URL") or None,
            broker_url=env.get("CELERY_BROKER_URL") or None,
            result_backend=env.get("CELERY_RESULT_BACKEND") or None,
            database_url=env.get("DATABASE_URL") or None,
            dialect=dialect,
            profile_path=env.get("SUITE_TARGET_PROFILE") or None,
            inspect_config=env.get("SUITE_INSPECT_CONFIG") or None,
            k8s_namespace=env.get("K8S_NAMESPACE") or "default",
            kubeconfig=env.get("KUBECONFIG") or None,
            require_gvisor=_flag(env.get("REQUIRE_GVISOR")),
            profile=(env.get("SUITE_PROFILE") or "default").strip().lower(),
            timeout_scale=_number(env, "SUITE_TIMEOUT_SCALE", 1.0),
            load_n=_number(env, "SUITE_LOAD_N", 50, kind=int),
        )

    def with_embedded_urls(self, urls: Mapping[str, str], workers: int | None = None) -> "Target":
        """This target, pointed at a stack the suite started (its `.urls` mapping, and the
        number of workers it started)."""
        return replace(
            self,
            api_url=urls["API_URL"],
            redis_url=urls["REDIS_URL"],
            broker_url=urls["CELERY_BROKER_URL"],
            result_backend=urls["CELERY_RESULT_BACKEND"],
            database_url=urls["DATABASE_URL"],
            embedded=True,
            workers=workers,
        )

    @property
    def is_platform(self) -> bool:
        """An HTTP platform (embedded or external): the platform-level features apply."""
        return self.kind in PLATFORM_KINDS

    @property
    def local(self) -> bool:
        """The code runs on this machine: scenarios that look at the host apply."""
        if self.kind == INSPECT:
            return self.spec.split()[0].lower() in LOCAL_INSPECT_PROVIDERS
        return self.kind in (EMBEDDED, COMMAND)

    @property
    def description(self) -> str:
        """One line for the terminal and the reports."""
        if self.kind == EMBEDDED:
            return "embedded: the reference platform, started by the suite"
        if self.kind == HTTP:
            return f"http: {self.api_url}"
        return f"{self.kind}: {self.spec}"

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
