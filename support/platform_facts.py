"""What the deployment says about itself (GET /api/platform, GET /api/environments),
read once per session, and which capabilities each tag needs.

The contract fixes the meaning (executor, engine, limits, capabilities, environments),
not every spelling, so the few accepted spellings are listed here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Tag -> the capability (from /api/platform `capabilities`) its scenarios need. A target
# without it skips them, naming the capability, unless the profile requires it.
TAG_CAPABILITIES: dict[str, str] = {
    "network": "network_isolation",
    "filesystem": "filesystem_isolation",
    "priority": "priority",
    "cancellation": "cancellation",
    "streaming": "output_streaming",
}
# What the production profile requires of a deployment (missing => fail, not skip).
PRODUCTION_CAPABILITIES = frozenset({"network_isolation", "filesystem_isolation", "gvisor",
                                     "memory_limit", "pids_limit", "timeout", "output_limit"})


@dataclass(frozen=True)
class PlatformFacts:
    raw: dict

    @property
    def executor(self) -> str | None:
        return self.raw.get("executor")

    @property
    def engine(self) -> str | None:
        return self.raw.get("engine") or self.raw.get("sandbox_engine")

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset(self.raw.get("capabilities") or ())

    @property
    def limits(self) -> dict[str, Any]:
        return dict(self.raw.get("limits") or {})

    @property
    def worker_slots(self) -> int:
        """How many evaluations can run at once (every worker's concurrency, summed)."""
        slots = self.raw.get("worker_slots", self.raw.get("capacity"))
        if not isinstance(slots, int) or slots < 1:
            raise AssertionError(f"/api/platform reports no usable worker slot count: {self.raw}")
        return slots

    def limit(self, *names: str) -> Any:
        """The first of `names` present in the reported limits (None when none is)."""
        for name in names:
            if self.limits.get(name) is not None:
                return self.limits[name]
        return None


def environments_of(answer: Any) -> list[dict]:
    """The environments list, whether the API answers a bare list or {"environments": [...]}."""
    items = answer.get("environments") if isinstance(answer, dict) else answer
    if not isinstance(items, list):
        raise AssertionError(f"/api/environments answered no list of environments: {answer!r}")
    return items


def interpreter_version(environment: dict) -> str | None:
    return environment.get("python_version") or environment.get("version")


def libraries_of(environment: dict) -> dict[str, str | None]:
    """Promised library -> version (None when the platform lists names only)."""
    libraries = environment.get("libraries") or {}
    if isinstance(libraries, list):
        return {name: None for name in libraries}
    return dict(libraries)
