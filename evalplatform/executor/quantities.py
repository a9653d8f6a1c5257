"""Kubernetes-style resource quantities, as clients write them in `memory_limit`/`cpu_limit`.

The API validates them (a bad one is a 422 naming the field) and the run's limits are
made from the stored text with the same functions (`limits_of`), so both agree on what
"1Gi" means.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Optional

from evalplatform.run import Limits, default_limits
from evalplatform.settings import Settings

MIB = 1024 * 1024
_MEMORY_UNITS = {
    "": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}
# Also published as the API's JSON Schema patterns for memory_limit and cpu_limit.
MEMORY_PATTERN = r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(Ki|Mi|Gi|Ti|k|M|G|T|)\s*$"
CPU_PATTERN = r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(m?)\s*$"
_MEMORY = re.compile(MEMORY_PATTERN)
_CPU = re.compile(CPU_PATTERN)


def parse_memory_mb(text: str) -> int:
    """Megabytes (MiB, rounded up) of a quantity like "256Mi", "1Gi", "512M" or "268435456".

    Raises ValueError with a message fit for a client.
    """
    match = _MEMORY.match(str(text))
    if not match:
        raise ValueError("memory_limit must be a quantity like '256Mi', '1Gi' or '512M'")
    number, unit = match.groups()
    nbytes = Decimal(number) * _MEMORY_UNITS[unit]
    return int(-(-nbytes // MIB))


def parse_cpu_cores(text: str) -> float:
    """Cores of a quantity like "500m", "1" or "0.5". Raises ValueError for anything else."""
    match = _CPU.match(str(text))
    if not match:
        raise ValueError("cpu_limit must be cores like '0.5', '2' or millicores like '500m'")
    number, milli = match.groups()
    try:
        cores = Decimal(number) / (1000 if milli else 1)
    except InvalidOperation as exc:   # pragma: no cover - the regex admits only decimals
        raise ValueError(str(exc)) from exc
    if cores <= 0:
        raise ValueError("cpu_limit must be more than zero")
    return float(cores)


def limits_of(timeout_s: Optional[float], memory_limit: Optional[str], cpu_limit: Optional[str],
              settings: Optional[Settings] = None) -> Limits:
    """A run's limits from an evaluation's own words (None: the platform's default)."""
    return default_limits(settings, timeout_s=timeout_s,
                          memory_mb=parse_memory_mb(memory_limit) if memory_limit else None,
                          cpu_cores=parse_cpu_cores(cpu_limit) if cpu_limit else None)
