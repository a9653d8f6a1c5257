"""The target of this pytest session, resolved once: an external deployment, the embedded
stack (started on first need, stopped at the end of the session), or a sandbox that is not a
platform (`command:`, `inspect:`).

"First need" is usually the session fixture; it may come earlier, at collection, when a
Scenario Outline takes its examples from the live platform (the environments it lists).
Either way there is one stack per session. Under pytest-xdist (`make acceptance` runs
`-n`) it is one stack per RUN: the controller starts it and hands its URLs and directory
to every worker (`SharedStack`), whose target is then still the embedded one (same host,
so @host scenarios and hygiene apply); the controller stops it at the end. The first
worker is the exception: it starts a stack of its own, for the @exclusive scenarios
(support/sharing.py), and stops it at its end, as a serial session does. The suite
imports the reference platform in two places only (tests/unit/test_suite_layering.py holds them to it): here, to start the
embedded stack, and support/chaos.py, for a chaos scenario's stack of its own.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Optional

import pytest

from support import dialects
from support import profile as profiles
from support.api_client import ApiClient, ApiError
from support.celery_client import CeleryClient
from support.config import COMMAND, INSPECT, SettingError, Target, requested
from support.database import Database
from support.dialects import Dialect
from support.evaluations import Evaluations
from support.gating import Decision
from support.platform_facts import PlatformFacts
from support.redis_state import RedisState
from support.sharing import OWN_STACK_KEY, OwnStackFirstScheduling

log = logging.getLogger(__name__)


class PlatformClients:
    """One client per service of a platform target, made on first use, closed at the end,
    each reading the target through its dialect (support/dialects)."""

    def __init__(self, target: Target):
        self.target = target

    @cached_property
    def dialect(self) -> Dialect:
        """SUITE_DIALECT's, or the one the target's answers show (a one-line error if neither)."""
        if self.target.dialect:
            return dialects.select(self.target.dialect)
        probe = ApiClient(self.target.api_url, timeout_scale=self.target.timeout_scale)
        try:
            return dialects.select(None, probe.probe)
        except dialects.DialectError as exc:
            raise SettingError(str(exc)) from None
        finally:
            probe.close()

    @cached_property
    def api(self) -> ApiClient:
        return ApiClient(self.target.api_url, timeout_scale=self.target.timeout_scale, dialect=self.dialect)

    @cached_property
    def evaluations(self) -> Evaluations:
        return Evaluations(self.api, timeout_scale=self.target.timeout_scale)

    @cached_property
    def redis_state(self) -> RedisState:
        return RedisState(self.target.redis_url, dialect=self.dialect)

    @cached_property
    def celery(self) -> CeleryClient:
        t = self.target
        return CeleryClient(t.broker_url, t.result_backend, timeout_scale=t.timeout_scale,
                            dialect=self.dialect, expected_workers=t.workers)

    @cached_property
    def database(self) -> Database:
        return Database(self.target.database_url, dialect=self.dialect)

    def close(self) -> None:
        for name in ("api", "redis_state", "celery", "database"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()


@dataclass
class Applicability:
    """Which features applied to the target, and why the others (or some scenarios) did not."""

    ran: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    left_out: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def note(self, item: pytest.Item, decision: Decision) -> None:
        """Count the scenario as applying or not; noted again (a capability known only at run
        time), it moves from the first count to the second."""
        feature = Path(str(item.fspath)).stem.removeprefix("test_")
        if item.stash.get(_NOTED, False):
            self.ran[feature] -= 1
        item.stash[_NOTED] = True
        if decision.skip:
            self.left_out[feature][decision.skip] += 1
        else:
            self.ran[feature] += 1

    def lines(self) -> list[str]:
        out = []
        for feature in sorted(set(self.ran) | set(self.left_out)):
            ran, left = self.ran.get(feature, 0), self.left_out.get(feature, {})
            if not left:
                out.append(f"{feature}: applied ({ran} scenarios)")
                continue
            why = "; ".join(f"{n} not: {reason}" for reason, n in sorted(left.items()))
            out.append(f"{feature}: {'applied to ' + str(ran) if ran else 'not applied'} ({why})")
        return out


_NOTED = pytest.StashKey[bool]()


# What an xdist controller hands each worker about the stack it started (node.workerinput).
SHARED_STACK_KEY = "evalplatform_shared_stack"
# Worker slots of a stack shared by parallel scenarios (unless EVALPLATFORM_WORKER_CONCURRENCY
# says otherwise): most of their evaluations sleep or wait on a limit, and with only one slot
# per core one scenario's burst (the @load feature's 50) would hold every other's back.
SHARED_STACK_SLOTS = 4


@dataclass(frozen=True)
class SharedStack:
    """A worker's handle on the stack its xdist controller started: where it is (`urls`,
    `dir`), never its processes, which the controller alone starts and stops."""

    urls: dict[str, str]
    dir: Path

    def stop(self) -> None:
        """Nothing: the controller stops the stack after every worker has finished."""


class SharedStackPlugin:
    """In the xdist controller: start the embedded stack before the workers, hand it over.

    Except to the first worker: it starts a stack of its own, as a serial run does, for the
    @exclusive scenarios (support/sharing.py), so the shared stack is never drained."""

    def __init__(self, holder: "SessionTarget"):
        self.holder = holder
        self.own_stack_worker: str | None = None
        self._stopping: threading.Thread | None = None
        self._shared_workers_up = 0
        self._a_shared_worker_crashed = False
        self._handoff = tempfile.TemporaryDirectory(prefix="evalgate-xdist-")
        self.exclusive_ids_file = os.path.join(self._handoff.name, "exclusive-ids.json")

    @pytest.hookimpl(tryfirst=True)    # before xdist's own, which knows only its built-in ones
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log):
        if config.getvalue("dist") == "loadgroup" and self.holder.requested.kind == "embedded":
            return OwnStackFirstScheduling(config, log, self.exclusive_ids_file)
        return None

    def pytest_configure_node(self, node) -> None:
        if self.holder.requested.kind != "embedded":
            return   # an external target: each worker resolves it as usual
        if self.own_stack_worker in (None, node.workerinput["workerid"]):
            self.own_stack_worker = node.workerinput["workerid"]
            node.workerinput[OWN_STACK_KEY] = self.exclusive_ids_file    # where it names them
            return
        if "EVALPLATFORM_WORKER_CONCURRENCY" not in os.environ:
            self.holder.stack_env = {"EVALPLATFORM_WORKER_CONCURRENCY": str(SHARED_STACK_SLOTS)}
        self.holder.get()
        stack = self.holder.stack
        node.workerinput[SHARED_STACK_KEY] = {"urls": dict(stack.urls), "dir": str(stack.dir),
                                               "workers": stack.worker_count}
        self._shared_workers_up += 1

    def pytest_testnodedown(self, node, error) -> None:
        """When the last worker on the shared stack is done, and none crashed (xdist may start
        a replacement), the stack stops at once, while the own-stack worker may still run."""
        if SHARED_STACK_KEY not in node.workerinput:
            return
        self._shared_workers_up -= 1
        self._a_shared_worker_crashed |= error is not None
        if not self._shared_workers_up and not self._a_shared_worker_crashed:
            self._stop_in_background()

    def pytest_sessionfinish(self) -> None:
        """Every worker is down (xdist's teardown runs first): the stack stops while the
        reports are written, rather than after them."""
        self._stop_in_background()

    def _stop_in_background(self) -> None:
        stack = self.holder.stack
        if stack is not None and self._stopping is None:
            self._stopping = threading.Thread(target=stack.stop, name="stop-shared-stack")
            self._stopping.start()

    def pytest_unconfigure(self) -> None:
        """(Before the conftest's, which stops the session's target: Stack.stop is idempotent.)"""
        if self._stopping is not None:
            self._stopping.join()


class SessionTarget:
    def __init__(self, profile_path: str | None = None, shared: dict | None = None) -> None:
        self._shared = shared
        self.stack_env: dict[str, str] | None = None   # settings of the embedded stack it starts
        self._requested = requested()
        self.profile = profiles.load(profile_path or self._requested.profile_path)
        self._resolved: Optional[Target] = None
        self._stack: Any = None
        self._clients: PlatformClients | None = None
        self._runner: Any = None
        self._facts: PlatformFacts | None = None
        self.applicability = Applicability()

    @property
    def requested(self) -> Target:
        """What the environment asked for (no stack started to answer this)."""
        return self._requested

    def get(self) -> Target:
        """The target, starting the embedded stack when it is the one judged."""
        if self._resolved is None:
            self._resolved = self._resolve()
        return self._resolved

    def _resolve(self) -> Target:
        wanted = self._requested
        if wanted.kind == "http":
            missing = wanted.missing_urls()
            if missing:
                raise RuntimeError(f"API_URL is set, so the suite checks that deployment; it also needs "
                                   f"{', '.join(missing)} (see docs/suite.md)")
            return wanted
        if wanted.kind != "embedded":
            return wanted
        if self._shared is not None:
            self._stack = SharedStack(self._shared["urls"], Path(self._shared["dir"]))
            return wanted.with_embedded_urls(self._stack.urls, self._shared.get("workers"))
        from evalplatform.stack import Stack
        log.info("no target set: starting the embedded stack")
        self._stack = Stack(env=self.stack_env).start()
        return wanted.with_embedded_urls(self._stack.urls, self._stack.worker_count)

    @property
    def stack(self) -> Any:
        """The embedded stack (process control for hygiene and chaos steps), or None."""
        return self._stack

    def clients(self) -> PlatformClients:
        target = self.get()
        assert target.is_platform, f"a platform-level step ran against a sandbox target ({target.description})"
        if self._clients is None:
            self._clients = PlatformClients(target)
        return self._clients

    def runner(self):
        """What runs the code: the platform itself, or the sandbox under test."""
        if self._runner is None:
            target = self.get()
            if target.is_platform:
                from support.targets.platform import PlatformRunner
                self._runner = PlatformRunner(self.clients().evaluations, target)
            else:
                self._runner = _sandbox_runner(target, self.profile)
        return self._runner

    def facts(self) -> PlatformFacts:
        """GET /api/platform, read once; where the target has none, what its profile declares."""
        if self._facts is None:
            target = self.get()
            answer = None
            if target.is_platform:
                try:
                    answer = self.clients().api.platform()
                except dialects.NotOffered:
                    pass        # the dialect has no /api/platform: the profile declares what there is
                except ApiError as exc:
                    if exc.response.status_code != 404:
                        raise
            self._facts = (PlatformFacts(answer) if answer is not None
                           else PlatformFacts.from_profile(self.profile, self._declared_by_runner(target)))
        return self._facts

    def _declared_by_runner(self, target: Target) -> dict:
        """The limits a sandbox target's runner declares for it (a command that takes
        `{output_bytes}` keeps that limit); nothing for a platform, which says its own."""
        return {} if target.is_platform else dict(getattr(self.runner(), "declared_limits", {}))

    def describe(self) -> list[str]:
        """The target, as the terminal summary and the reports name it."""
        target = self._resolved or self._requested
        lines = [f"target: {target.description}"]
        chosen = self.dialect_name() or target.dialect
        if target.is_platform and chosen:
            lines.append(f"dialect: {chosen}{'' if target.dialect else ' (detected from its answers)'}")
        if self.profile.path:
            lines.append(f"target profile: {self.profile.path} ({len(self.profile.waivers)} waivers)")
        return lines

    def dialect_name(self) -> str | None:
        """The dialect the platform's clients read it in, once known."""
        if self._clients is not None and "dialect" in self._clients.__dict__:
            self._dialect_name = self._clients.dialect.name
        return getattr(self, "_dialect_name", None)

    def stop(self) -> None:
        self.dialect_name()     # kept for the summary, written after the session's end
        for part in (self._runner, self._clients):
            if part is not None:
                part.close()
        self._runner = self._clients = self._facts = None
        if self._stack is not None:
            self._stack.stop()
            self._stack = None
        self._resolved = None


def _sandbox_runner(target: Target, profile=None):
    """The runner of a sandbox target (support/targets/): a command prefix or an inspect provider."""
    if target.kind == COMMAND:
        from support.targets.command import CommandRunner
        limits = profile.limits if profile is not None else {}
        return CommandRunner.from_target(target, output_limit=limits.get("output_limit_bytes"))
    if target.kind == INSPECT:
        from support.targets.inspect import InspectRunner
        return InspectRunner.from_target(target)
    raise AssertionError(f"no runner for a {target.kind} target")


SESSION_TARGET = pytest.StashKey[SessionTarget]()


def session_target(config: pytest.Config) -> SessionTarget:
    """The session's target holder, made by the root conftest at configure time."""
    return config.stash[SESSION_TARGET]
