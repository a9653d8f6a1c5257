"""What the target says about itself (GET /api/platform, GET /api/environments), read once
per session, or, where it cannot say (no /api/platform, a sandbox with no API), what the
operator's target profile declares.

The contract fixes the meaning (executor, engine, limits, capabilities, environments),
not every spelling, so the few accepted spellings are listed here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PlatformFacts:
    raw: dict
    source: str = "GET /api/platform"

    @classmethod
    def from_profile(cls, profile, declared_limits: dict | None = None) -> "PlatformFacts":
        """What the operator's profile declares, for a target that cannot say it itself,
        over what its runner declares (a command's own output limit)."""
        raw: dict[str, Any] = {"limits": {**(declared_limits or {}), **profile.limits}}
        if profile.capabilities is not None:
            raw["capabilities"] = sorted(profile.capabilities)
        source = f"the target profile {profile.path}" if profile.path else "nothing (no /api/platform, no profile)"
        return cls(raw, source=source)

    @property
    def declared_capabilities(self) -> frozenset[str] | None:
        """The capabilities the target or its profile declares; None where none are declared
        (then no optional feature is skipped: silence never skips)."""
        caps = self.raw.get("capabilities")
        return None if caps is None else frozenset(caps)

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


def listed_environment(api, name: str) -> dict:
    """The environment `name` as GET /api/environments lists it (it must be listed)."""
    listed = {e["name"]: e for e in environments_of(api.environments())}
    assert name in listed, f"{name!r} is not listed: {sorted(listed)}"
    return listed[name]
