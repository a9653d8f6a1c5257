"""`SUITE_TARGET=inspect:<provider>`: any inspect_ai SandboxEnvironment provider.

The provider is driven through inspect's sandbox API (sample_init, exec, sample_cleanup,
and task_init/task_cleanup) by a child process, support/targets/inspect_driver.py, so
that a provider which runs the code on this host, inspect's `local` above all (its
`exec` is a subprocess of the driver), runs it inside the suite's safety net: the driver
is started in the net, and everything the code forks is counted, limited and killed
there. The driver lives as long as the runner (importing inspect takes seconds); after a
run that broke the net's limits, or killed the driver, a fresh driver in a fresh net is
started for the next run.

`<provider>` is a name inspect's registry knows (built in, or registered by an
`inspect_ai` entry point), or `<module>:<name>` to import the module that registers it.
The provider's config is passed as given: a file name (e.g. a compose.yaml), or a JSON
object deserialised by the provider's `config_deserialize` when it has one.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Optional

import yaml

from support.config import LOCAL_INSPECT_PROVIDERS
from support.safety_net import NetLimits, SafetyNet
from support.targets import base

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Modules that register providers this project ships, imported when the name is unknown
# to inspect's registry (before the project's own inspect_ai entry point is installed).
PROJECT_PROVIDERS = {"evalplatform": "evalplatform.inspect_sandbox"}
# Starting the driver (importing inspect_ai, task_init) and, per run, sample_init plus
# sample_cleanup around the exec: allowances, not measurements.
DRIVER_START_S = 120.0
SAMPLE_OVERHEAD_S = 30.0


def parse_config(raw: Optional[str]) -> Any:
    """SUITE_INSPECT_CONFIG: an object, inline (JSON or YAML) or in a .json/.yaml file the
    suite reads; any other file (e.g. a compose.yaml) is passed by name, for the provider
    to read itself (inspect's own convention)."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if text.startswith("{"):
        return json.loads(text)
    path = Path(text)
    if path.is_file():
        if path.suffix == ".json":
            return json.loads(path.read_text())
        if path.suffix in (".yaml", ".yml") and "compose" not in path.name:
            return yaml.safe_load(path.read_text())
        return text
    loaded = yaml.safe_load(text)
    if not isinstance(loaded, dict):
        raise ValueError(f"SUITE_INSPECT_CONFIG={raw!r} is neither a file nor an inline JSON/YAML object")
    return loaded


class InspectRunner:
    kind = "inspect"

    def __init__(self, provider: str, config: Any = None, limits: NetLimits = NetLimits(),
                 local: Optional[bool] = None):
        module, _, name = provider.rpartition(":")
        if not name:
            raise ValueError("SUITE_TARGET=inspect: needs a provider name, e.g. inspect:local")
        self.provider = name
        self.modules = [module] if module else ([PROJECT_PROVIDERS[name]] if name in PROJECT_PROVIDERS else [])
        self.config = config
        self.limits = limits
        # Whose code runs on this host: the host scenarios apply, and the net is put around it.
        self.local = name in LOCAL_INSPECT_PROVIDERS if local is None else local
        self.description = f"inspect: provider {name!r}" + (f", config {json.dumps(config)}" if config else "")
        self.canaries = base.Canaries()
        self._net: Optional[SafetyNet] = None
        self._driver: Optional[subprocess.Popen] = None
        self._answers: "queue.Queue[Optional[dict]]" = queue.Queue()

    @classmethod
    def from_target(cls, target) -> "InspectRunner":
        """The runner of a support.config.Target of kind inspect (SUITE_TARGET, SUITE_INSPECT_CONFIG)."""
        return cls(target.spec, parse_config(target.inspect_config), local=target.local)

    def secret_needles(self) -> list[str]:
        return self.canaries.needles()

    # -- the driver -----------------------------------------------------------------------------
    def _start(self) -> None:
        env = {**base.launch_env(os.environ.get("TMPDIR", "/tmp"), self.canaries),
               "PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"}
        argv = [sys.executable, "-m", "support.targets.inspect_driver"]
        pipes = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if self.local:
            self._net = SafetyNet(self.limits)
            self._net.open()
            env.update(HOME=str(self._net.scratch), TMPDIR=str(self._net.scratch))
            self._driver = self._net.popen(argv, env, **pipes)
        else:
            self._driver = subprocess.Popen(argv, env=env, cwd=str(PROJECT_ROOT), start_new_session=True, **pipes)
        self._answers = queue.Queue()
        threading.Thread(target=self._read_answers, args=(self._driver, self._answers), daemon=True).start()
        answer = self._ask({"op": "init", "provider": self.provider, "config": self.config,
                            "modules": self.modules}, DRIVER_START_S)
        if not answer or not answer.get("ok"):
            error = (answer or {}).get("error", "the driver ended before it answered")
            self._stop()
            raise RuntimeError(f"inspect provider {self.provider!r} could not be started: {error}")

    def _read_answers(self, driver: subprocess.Popen, answers: "queue.Queue[Optional[dict]]") -> None:
        """Each answer is one line. A line longer than 16 times the per-stream cap (both
        streams, JSON-escaped) cannot be an answer of the driver's: it is dropped, and the
        run reads as unanswered."""
        limit = 16 * self.limits.output_bytes
        for line in iter(lambda: driver.stdout.readline(limit), b""):
            try:
                answers.put(json.loads(line))
            except ValueError:
                continue
        answers.put(None)

    def _ask(self, request: dict, timeout: float) -> Optional[dict]:
        """Send a request; its answer, or None when the driver died or `timeout` passed
        (or the net ran out of wall time)."""
        self._driver.stdin.write((json.dumps(request) + "\n").encode())
        self._driver.stdin.flush()
        end = time.monotonic() + timeout
        while time.monotonic() < end and not (self._net and self._net.expired()):
            if self._net:
                self._net.watch()
            try:
                return self._answers.get(timeout=0.05)
            except queue.Empty:
                continue
        return None

    def _stop(self) -> None:
        if self._driver is not None:
            if self._driver.poll() is None and self._net is None:
                self._driver.kill()
            if self._net is not None:
                self._net.close()
            self._driver.wait()
        self._driver, self._net = None, None

    def close(self) -> None:
        if self._driver is not None and self._driver.poll() is None:
            try:
                self._ask({"op": "close"}, SAMPLE_OVERHEAD_S)
            except (BrokenPipeError, OSError):
                pass
        self._stop()

    # -- runs -----------------------------------------------------------------------------------
    def run(self, code: str, *, timeout: int | None = None, memory_limit: str | None = None) -> dict:
        """One sample: exec(["python3", "-c", code], timeout=timeout). inspect's exec has no
        memory limit: `memory_limit` is recorded, and applies only where the provider's
        config sets one."""
        timeout = int(timeout or base.DEFAULT_TIMEOUT_S)
        if self._driver is None or self._driver.poll() is not None:
            self._stop()
            self._start()
        eval_id, started_at = base.new_eval_id(self.kind), base.now_iso()
        if self._net:
            self._net.rearm()
        t0 = time.monotonic()
        try:
            answer = self._ask({"op": "run", "code": code, "timeout": timeout,
                                "cap": self.limits.output_bytes}, timeout + SAMPLE_OVERHEAD_S)
        except (BrokenPipeError, OSError):
            answer = None
        breaches = self._net.breaches() if self._net else []
        stopped = None if answer is None else answer.get("stopped")
        unanswered = answer is None
        if unanswered:
            died = self._driver.poll()
            if died is not None:          # killed under it (an OOM kill is among the breaches)
                stopped = None if breaches else "sandbox_error"
                answer = {"error": f"the inspect driver died (status {died}) during the exec"}
            else:
                stopped = "wall" if self._net and self._net.expired() else "timeout"
                breaches.append(f"the provider had not ended the exec {SAMPLE_OVERHEAD_S:g} s past its "
                                f"timeout; the suite killed its driver")
                answer = {"error": "the driver did not answer"}
        if answer.get("returncode") is None and stopped is None and not breaches:
            stopped = "sandbox_error"
        if breaches or unanswered or self._driver.poll() is not None:
            self._stop()                          # start afresh: the net or the driver is spent
        elif self._net:
            self._net.kill_all(spare={self._driver.pid})    # whatever the code left behind
        elapsed = answer.get("elapsed", time.monotonic() - t0)
        return base.outcome(eval_id=eval_id, engine=f"inspect:{self.provider}", started_at=started_at,
                            timeout=timeout, returncode=answer.get("returncode"), elapsed=elapsed,
                            stopped=stopped, breaches=breaches, output=answer.get("output", ""),
                            error=answer.get("error", ""),
                            output_truncated=answer.get("output_truncated", False),
                            error_truncated=answer.get("error_truncated", False),
                            memory_limit_requested=memory_limit,
                            suite_limits=self.limits.describe() if self.local else None)
