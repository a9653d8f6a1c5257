"""The engine registry: nsjail and bwrap always, gvisor imported lazily (it may be absent)."""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

from evalplatform.sandbox.engines.base import Availability, Engine, Launch, RunPlan

ENGINE_NAMES = ("nsjail", "bwrap", "gvisor")
AUTO_ORDER = ("nsjail", "bwrap")          # gVisor (slow to start) only when named


class MissingEngine(Engine):
    """Stands in for an engine whose module cannot be imported; never runs anything."""

    def __init__(self, name: str, detail: str):
        self.name, self._detail = name, detail

    def availability(self) -> Availability:
        return Availability(False, detail=self._detail)

    def command(self, plan: RunPlan) -> list[str]:
        raise RuntimeError(self._detail)


@lru_cache(maxsize=None)
def get_engine(name: str) -> Engine:
    if name == "nsjail":
        from evalplatform.sandbox.engines.nsjail import NsjailEngine
        return NsjailEngine()
    if name == "bwrap":
        from evalplatform.sandbox.engines.bwrap import BwrapEngine
        return BwrapEngine()
    if name == "gvisor":
        try:
            from evalplatform.sandbox.engines import gvisor
        except ImportError as exc:
            return MissingEngine("gvisor", f"gVisor engine not importable: {exc}")
        # Whatever the class is called: the module's Engine subclass named "gvisor".
        classes = [c for c in vars(gvisor).values() if isinstance(c, type)
                   and issubclass(c, Engine) and getattr(c, "name", "") == "gvisor"]
        if not classes:
            return MissingEngine("gvisor", "engines/gvisor.py defines no Engine named gvisor")
        return classes[0]()
    raise KeyError(f"unknown sandbox engine {name!r}; known: {', '.join(ENGINE_NAMES)}")


@lru_cache(maxsize=None)
def availability(name: str) -> Availability:
    """Cached per process: availability probes binaries and may run a version command."""
    return get_engine(name).availability()


def first_available(names: tuple[str, ...] = AUTO_ORDER) -> Optional[Engine]:
    for name in names:
        if availability(name).ok:
            return get_engine(name)
    return None


__all__ = ["ENGINE_NAMES", "AUTO_ORDER", "Engine", "RunPlan", "Launch", "Availability",
           "get_engine", "availability", "first_available"]
