"""The engine registry: nsjail and bwrap always, gvisor imported lazily (it may be absent)."""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from evalplatform.sandbox.engines.base import (Availability, Engine, Launch, ResidentRuntime,
                                               RunPlan)

ENGINE_NAMES = ("nsjail", "bwrap", "gvisor")
AUTO_ORDER = ("nsjail", "bwrap")          # gVisor (slow to start) only when named


@lru_cache(maxsize=None)
def get_engine(name: str) -> Engine:
    """The engine named; KeyError for an unknown name, ImportError when its module cannot load."""
    if name == "nsjail":
        from evalplatform.sandbox.engines.nsjail import NsjailEngine
        return NsjailEngine()
    if name == "bwrap":
        from evalplatform.sandbox.engines.bwrap import BwrapEngine
        return BwrapEngine()
    if name == "gvisor":
        from evalplatform.sandbox.engines.gvisor import GVisorEngine
        return GVisorEngine()
    raise KeyError(f"unknown sandbox engine {name!r}; known: {', '.join(ENGINE_NAMES)}")


@lru_cache(maxsize=None)
def availability(name: str) -> Availability:
    """Cached per process: availability probes binaries and may run a version command."""
    try:
        engine = get_engine(name)
    except ImportError as exc:
        return Availability(False, detail=f"the {name} engine is not importable: {exc}")
    return engine.availability()


def first_available(names: tuple[str, ...] = AUTO_ORDER) -> Optional[Engine]:
    for name in names:
        if availability(name).ok:
            return get_engine(name)
    return None


__all__ = ["ENGINE_NAMES", "AUTO_ORDER", "Engine", "ResidentRuntime", "RunPlan", "Launch",
           "Availability", "get_engine", "availability", "first_available"]
