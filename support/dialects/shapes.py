"""The pieces a dialect is made of: small value types and the readers that turn one
platform's spelling of an answer into the suite's.

Each reader is a plain function of a recorded answer (status code, parsed JSON body, or
a Redis value), so it can be tested against answers recorded from a platform's source
without starting that platform.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: its status code and its parsed JSON body (None when not JSON)."""

    status: int
    body: Any = None


# (base, path) -> the answer to GET base+path, or None when nothing answered. `base` is
# "api" (the base URL, ending in /api) or "root" (the same server without /api).
Probe = Callable[[str, str], "Answer | None"]


@dataclass(frozen=True)
class Place:
    """Where an endpoint lives: below the API base URL ("api") or the server root ("root")."""

    base: str
    path: str

    def __post_init__(self) -> None:
        if self.base not in {"api", "root"}:
            raise ValueError(f"a place is below 'api' or 'root', not {self.base!r}")


@dataclass(frozen=True)
class Health:
    """A health answer read the same way whatever the dialect: `services` maps each
    service the platform named to True (healthy) or False."""

    healthy: bool
    status: str | None
    services: Mapping[str, bool]
    code: int
    raw: Any = None

    @property
    def failing(self) -> list[str]:
        return sorted(name for name, ok in self.services.items() if not ok)


@dataclass(frozen=True)
class Priorities:
    """Which integers mean low, normal and high, and the range the platform accepts
    (None: no bound on that side)."""

    low: int
    normal: int
    high: int
    minimum: int | None
    maximum: int | None
    default: int

    def level(self, name: str) -> int:
        """The priority the dialect uses for "low", "normal" or "high"."""
        levels = {"low": self.low, "normal": self.normal, "high": self.high}
        if name not in levels:
            raise KeyError(f"no priority level {name!r}; the levels are {', '.join(levels)}")
        return levels[name]

    def accepts(self, value: object) -> bool:
        """True when `value` is an integer priority inside the accepted range (a bool is
        not an integer here: an older platform version that took `priority: true` is
        exactly what this range rules out)."""
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)

    def narrowed(self, reported: Mapping[str, Any] | None) -> "Priorities":
        """These priorities within a range the target reports about itself (the contract's
        GET /api/platform `priority: {min, max, default}`); levels outside it are clamped."""
        if not reported:
            return self
        low = reported.get("min", self.minimum)
        high = reported.get("max", self.maximum)

        def clamp(value: int) -> int:
            value = value if low is None else max(low, value)
            return value if high is None else min(high, value)

        return Priorities(low=clamp(self.low), normal=clamp(self.normal), high=clamp(self.high),
                          minimum=low, maximum=high, default=reported.get("default", self.default))


@dataclass(frozen=True)
class TaskCall:
    """What to send through the broker: a task name, its positional args, and its queue
    (None: the queue every worker consumes, asked of the workers)."""

    name: str
    args: tuple
    queue: str | None


@dataclass(frozen=True)
class CeleryShape:
    """The platform's Celery tasks: their names, their argument shapes and where they go.

    `evaluate_args` turns the suite's fields of an evaluation (eval_id, code, language,
    timeout, priority) into the task's positional arguments; `route` picks the queue a
    task goes to (None: ask the workers which queue they all consume).
    """

    health_check: str
    evaluate_code: str
    evaluate_args: Callable[..., tuple]
    route: Callable[[str, int | None], str | None]
    exchange: str | None = None
    queues: tuple[str, ...] = ()

    def name(self, task: str, aliases: Mapping[str, str] = {}) -> str:
        """The platform's name for `task`: a logical name ("health_check",
        "evaluate_code"), a name in `aliases` (another dialect's spelling), or a full name
        used as it is."""
        logical = aliases.get(task, task)
        return {"health_check": self.health_check, "evaluate_code": self.evaluate_code}.get(logical, logical)


@dataclass(frozen=True)
class EventsTable:
    """Where the platform records status changes in PostgreSQL, as SQL expressions for
    the suite's columns (from_status, to_status, reason, at). NULL where it records none."""

    table: str
    eval_id: str
    from_status: str
    to_status: str
    reason: str
    at: str
    # Breaks ties between rows of the same time, when the table has this column.
    tiebreak: str | None = "id"

    def select(self, with_tiebreak: bool) -> str:
        order = f"{self.at}, {self.tiebreak}" if with_tiebreak and self.tiebreak else self.at
        return (f"SELECT {self.from_status} AS from_status, {self.to_status} AS to_status, "
                f"{self.reason} AS reason, {self.at} AS at FROM {self.table} "
                f"WHERE {self.eval_id}::text = :eval_id ORDER BY {order}")


@dataclass(frozen=True)
class Fields:
    """The fields each answer of the dialect carries (what a shape check may require)."""

    record: frozenset[str]
    status: frozenset[str]
    logs: frozenset[str]
    submit: frozenset[str]
    listing: frozenset[str]
    list_item: frozenset[str]
    queue: frozenset[str]
    health_services: frozenset[str]
    running_key: frozenset[str]
    published: frozenset[str]
    # field -> the Python types its value may have when set (None is always allowed).
    types: Mapping[str, tuple[type, ...]] = field(default_factory=dict)

    def type_problems(self, record: Mapping[str, Any]) -> list[str]:
        """Every field of `record` whose value has a type the dialect does not allow."""
        problems = []
        for name, allowed in self.types.items():
            value = record.get(name)
            if value is None:
                continue
            if isinstance(value, bool) and bool not in allowed or not isinstance(value, allowed):
                problems.append(f"{name}={value!r} is {type(value).__name__}, "
                                f"expected {' or '.join(t.__name__ for t in allowed)}")
        return problems


# -- readers of recorded answers ------------------------------------------------------

HEALTHY_WORDS = frozenset({"ok", "healthy"})
# Keys some platforms keep beside their services in the same object (a timestamp).
NOT_SERVICES = frozenset({"last_check"})


def service_flag(value: Any) -> bool | None:
    """True/False for a service's health however it is spelled (a bool, "ok",
    "healthy", anything else is unhealthy); None for what is not a service's health."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() in HEALTHY_WORDS
    return None


def read_services(body: Any) -> dict[str, bool]:
    services = body.get("services") if isinstance(body, dict) else None
    if not isinstance(services, dict):
        return {}
    flags = {name: service_flag(value) for name, value in services.items() if name not in NOT_SERVICES}
    return {name: flag for name, flag in flags.items() if flag is not None}


def health_reader(healthy_statuses: frozenset[str]) -> Callable[[Answer], Health]:
    """A reader for which a 200 answer whose `status` is one of `healthy_statuses` and
    whose named services are all healthy is a healthy platform."""
    def read(answer: Answer) -> Health:
        body = answer.body if isinstance(answer.body, dict) else {}
        status = body.get("status")
        services = read_services(body)
        healthy = answer.status == 200 and status in healthy_statuses and all(services.values())
        return Health(healthy=healthy, status=status, services=services, code=answer.status, raw=answer.body)
    return read


NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _scalar(text: str) -> Any:
    """A hash field's text as the number it spells, else the text (Redis hashes hold strings)."""
    if NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    return text


def running_from_json(raw: str | None) -> dict | None:
    """A running key held as one JSON string."""
    if raw is None:
        return None
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise AssertionError(f"the running key holds {value!r}, not a JSON object")
    return value


def running_from_hash(fields: Mapping[str, str] | None) -> dict | None:
    """A running key held as a Redis hash (an empty hash is a missing key)."""
    if not fields:
        return None
    return {name: _scalar(value) for name, value in fields.items()}
