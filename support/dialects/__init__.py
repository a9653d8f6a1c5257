"""Dialects of the HTTP contract: every way a target platform differs from
docs/contract.md on what the suite reads, held as data and small functions.

Two dialects: `contract` (this project's contract; the reference platform speaks it) and
`crucible` (crucible-eval-platform, the platform the original integration suite was
written for). The clients in support/ take a `Dialect` and read through it, so steps
never see the difference. `select` picks one: by name (SUITE_DIALECT), or detected from
what the target answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from support.contract import TERMINAL
from support.dialects.shapes import (
    Answer,
    CeleryShape,
    EventsTable,
    Fields,
    Health,
    Place,
    Priorities,
    Probe,
    TaskCall,
)

VARIABLE = "SUITE_DIALECT"
# The statuses every dialect so far shares (docs/contract.md; crucible's EvaluationStatus).
STATUSES = frozenset("submitted queued provisioning running completed failed cancelled".split())


class DialectError(RuntimeError):
    """The dialect could not be chosen; the message names SUITE_DIALECT."""


class NotOffered(AssertionError):
    """The target's dialect has no such endpoint (e.g. crucible has no /api/platform)."""


@dataclass(frozen=True)
class Dialect:
    """One platform's spelling of the contract. `name` is what the reports show."""

    name: str
    # -- HTTP ----------------------------------------------------------------------
    health: Place
    read_health: Callable[[Answer], Health]
    platform: Place | None
    environments: Place | None
    # Status codes a successful GET /eval/{id}/status may answer (crucible: 202 while running).
    status_codes: tuple[int, ...]
    # How a cancel of a terminal evaluation is answered: its status code, and a test of the body.
    cancel_terminal_code: int
    cancel_terminal_says: Callable[[Any], bool]
    # The body field(s) holding an error's message, in the order to look.
    error_fields: tuple[str, ...]
    # The suite's submission fields -> the body this platform reads them from.
    submission: Callable[[dict], dict]
    id_pattern: re.Pattern
    new_id: Callable[[], str]               # an id of the platform's form, for rows the suite stores
    unknown_id: str
    priorities: Priorities
    fields: Fields
    has_reason: bool
    # -- Celery, Redis, PostgreSQL --------------------------------------------------
    celery: CeleryShape
    running_key_types: tuple[str, ...]      # Redis TYPEs the running key may have
    channel_pattern: str
    events: EventsTable
    evaluations_id_column: str

    # -- reading answers -------------------------------------------------------------

    def health_of(self, status: int, body: Any) -> Health:
        return self.read_health(Answer(status, body))

    def cancel_refused_as(self, status: int, body: Any) -> str | None:
        """The unchanged terminal status, when this answer to a cancel is the dialect's
        "already terminal" answer; None for any other answer."""
        if status != self.cancel_terminal_code or not isinstance(body, dict):
            return None
        current = body.get("status")
        return current if current in TERMINAL and self.cancel_terminal_says(body) else None

    def error_message(self, body: Any) -> str | None:
        if isinstance(body, dict):
            for name in self.error_fields:
                if body.get(name) is not None:
                    return str(body[name])
        return None

    def is_id(self, value: object) -> bool:
        return isinstance(value, str) and self.id_pattern.fullmatch(value) is not None

    def status_of_channel(self, channel: str) -> str | None:
        """The status a pub/sub channel announces (`evaluation:{status}`); None for the
        other channels the same pattern matches (crucible's `evaluation:{id}:logs`)."""
        prefix, _, rest = channel.partition(":")
        return rest if prefix == "evaluation" and rest in STATUSES else None

    def task(self, task: str, *args: Any, priority: int | None = None) -> TaskCall:
        """The call that sends `task` (logical or full name) with `args` as given."""
        name = self.celery.name(task, TASK_ALIASES)
        return TaskCall(name, tuple(args), self.celery.route(name, priority))

    def evaluate_call(self, eval_id: str, *, code: str | None = None, language: str = "python",
                      timeout: int = 30, priority: int | None = None) -> TaskCall:
        """The evaluate_code call for one evaluation, in this dialect's argument shape."""
        priority = self.priorities.default if priority is None else priority
        args = self.celery.evaluate_args(eval_id=eval_id, code=code, language=language,
                                         timeout=timeout, priority=priority)
        return TaskCall(self.celery.evaluate_code, args, self.celery.route(self.celery.evaluate_code, priority))


def _build() -> dict[str, Dialect]:
    from support.dialects import contract, crucible
    return {d.name: d for d in (contract.DIALECT, crucible.DIALECT)}


# The contract's full task names are accepted wherever a logical name is (steps name tasks
# by the contract's spelling, support/celery_client.HEALTH_CHECK / EVALUATE_CODE).
TASK_ALIASES: Mapping[str, str] = {"evalplatform.health_check": "health_check",
                                   "evalplatform.evaluate_code": "evaluate_code"}
DIALECTS: Mapping[str, Dialect] = _build()
CONTRACT = DIALECTS["contract"]
CRUCIBLE = DIALECTS["crucible"]


def by_name(name: str) -> Dialect:
    key = name.strip().lower()
    if key not in DIALECTS:
        raise DialectError(f"{VARIABLE}={name!r} is not a dialect; set {VARIABLE} to one of "
                           f"{', '.join(sorted(DIALECTS))} (see docs/dialects.md)")
    return DIALECTS[key]


def detect(probe: Probe) -> Dialect:
    """The dialect the target speaks, from a few GETs that change nothing:

    1. GET {api}/platform answering the contract's self-description -> contract;
    2. GET {api}/health naming the contract's services -> contract;
    3. GET {root}/health answering "healthy"/"unhealthy" (crucible's word), or
       GET {api}/health naming crucible's services -> crucible.
    The reference platform serves {root}/health too, so the contract's own endpoints are
    asked first.
    """
    from support.dialects import crucible
    seen: dict[str, str] = {}

    def ask(base: str, path: str) -> Answer | None:
        answer = probe(base, path)
        seen[f"GET {{{base}}}{path}"] = "no answer" if answer is None else str(answer.status)
        return answer

    platform = ask("api", "/platform")
    if platform and platform.status == 200 and isinstance(platform.body, dict) \
            and {"capabilities", "executor"} & platform.body.keys():
        return CONTRACT
    api_health = ask("api", "/health")
    services = set((api_health.body or {}).get("services") or {}) if api_health and isinstance(api_health.body, dict) else set()
    if CONTRACT.fields.health_services <= services:
        return CONTRACT
    root_health = ask("root", "/health")
    if root_health and isinstance(root_health.body, dict) and root_health.body.get("status") in {"healthy", "unhealthy"}:
        return CRUCIBLE
    if crucible.API_HEALTH_SERVICES <= services:
        return CRUCIBLE
    answers = "; ".join(f"{where}: {what}" for where, what in seen.items())
    raise DialectError(f"cannot tell which dialect the target speaks ({answers}); set {VARIABLE} to one of "
                       f"{', '.join(sorted(DIALECTS))} (see docs/dialects.md)")


def select(name: str | None, probe: Probe | None = None) -> Dialect:
    """The dialect named by SUITE_DIALECT (`name`), else the one detected with `probe`."""
    if name and name.strip():
        return by_name(name)
    if probe is None:
        raise DialectError(f"{VARIABLE} is unset and there is no target to ask; set {VARIABLE} to one of "
                           f"{', '.join(sorted(DIALECTS))}")
    return detect(probe)


__all__ = ["Answer", "CONTRACT", "CRUCIBLE", "DIALECTS", "Dialect", "DialectError", "Health", "NotOffered",
           "Place", "Priorities", "Probe", "TaskCall", "VARIABLE", "by_name", "detect", "select"]
