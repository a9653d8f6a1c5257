"""`SUITE_TARGET='command:PREFIX'`: any sandbox command, the probe appended as `python3 -c CODE`.

PREFIX is split like a shell would (shlex) and may hold placeholders that the runner
fills for each run, so a strong command can apply the limits a scenario asks for:

| placeholder      | filled with |
|---|---|
| `{timeout}`      | the run's timeout in whole seconds (requested, or 30) |
| `{memory_mb}`    | its memory limit in MiB (requested, e.g. "64Mi", or 256) |
| `{memory_bytes}` | the same in bytes |
| `{scratch}`      | the safety net's scratch directory (the command's cwd) |
| `{file}`         | the path of a file holding the probe; with it nothing is appended |
| `{output_bytes}` | the most of each stream the command is to pass on (its own output limit) |
| `{status}`       | a path, outside the scratch, where the command may say how the run ended |

Every run is a fresh process tree inside a safety net of its own (support/safety_net.py),
launched with a plain environment plus the suite's canaries (base.launch_env). The runner
is also the harness: it ends the run at its timeout (at timeout + TARGET_TIMEOUT_GRACE_S
when the command takes `{timeout}` and so enforces it itself), and reads at most the
net's output cap of each stream.

A command that takes `{output_bytes}` declares that output limit as the target's own
(`limits.output_limit_bytes`: what the target profile declares, or half the net's cap; below
the cap either way, so the command's acts first). When it
ends a run itself, it may write one JSON object to `{status}`: `reason` (one of the
contract's), `output_truncated`, `error_truncated` (booleans). The record then carries
them: the only way a command can say that it capped a stream. A status that is not such an
object makes the run a sandbox_error; the suite's own stops (timeout, the net's limits, its
cap) always win over what the command says.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from support.safety_net import NetLimits, SafetyNet
from support.targets import base
from support.targets.output import CappedReader

PLACEHOLDERS = ("timeout", "memory_mb", "memory_bytes", "scratch", "file", "output_bytes", "status")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
TARGET_TIMEOUT_GRACE_S = 2.0
POLL_S = 0.02
# After the command's main process ended, how long processes it left may hold its
# output open before the net kills them.
PIPE_GRACE_S = 0.5
# Exit statuses that shells and container tools use for "could not start the program".
SETUP_FAILURES = (125, 126, 127)
PROBE_FILE = "probe.py"
STATUS_FILE = "status.json"
STATUS_FIELDS = {"reason": str, "output_truncated": bool, "error_truncated": bool}


def placeholders_in(argv: list[str]) -> set[str]:
    return {m.group(1) for word in argv for m in _PLACEHOLDER.finditer(word)}


class CommandRunner:
    kind = "command"
    local = True

    def __init__(self, prefix: str, limits: NetLimits = NetLimits(), output_limit: int | None = None):
        self.argv = shlex.split(prefix)
        if not self.argv:
            raise ValueError("SUITE_TARGET=command: needs a command prefix, e.g. 'command:bwrap --unshare-all --'")
        unknown = placeholders_in(self.argv) - set(PLACEHOLDERS)
        if unknown:
            raise ValueError(f"SUITE_TARGET command has unknown placeholders {sorted(unknown)}; "
                             f"known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}")
        self.limits = limits
        self.description = f"command: {prefix.strip()}"
        self.canaries = base.Canaries()
        self.enforces_timeout = "timeout" in placeholders_in(self.argv)
        # What `{output_bytes}` hands the command: the target profile's declared output limit,
        # or half the net's cap; always below that cap, so a command keeping it is never
        # stopped by the suite's.
        declared_ok = isinstance(output_limit, int) and 0 < output_limit < limits.output_bytes
        self.output_limit = output_limit if declared_ok else limits.output_bytes // 2
        self.declared_limits = ({"output_limit_bytes": self.output_limit}
                                if "output_bytes" in placeholders_in(self.argv) else {})

    @classmethod
    def from_target(cls, target, output_limit: int | None = None) -> "CommandRunner":
        """The runner of a support.config.Target of kind command (SUITE_TARGET='command:...');
        `output_limit`: what the target profile declares (`limits.output_limit_bytes`)."""
        return cls(target.spec, output_limit=output_limit)

    def secret_needles(self) -> list[str]:
        return self.canaries.needles()

    def close(self) -> None:
        """Nothing outlives a run: each run's net is removed when the run ends."""

    def argv_for(self, code: str, timeout: int, memory_mb: int, scratch: Path,
                 status: Path | None = None) -> list[str]:
        values = {"timeout": str(timeout), "memory_mb": str(memory_mb),
                  "memory_bytes": str(memory_mb * 1024 * 1024), "scratch": str(scratch),
                  "file": str(scratch / PROBE_FILE), "output_bytes": str(self.output_limit),
                  "status": str(status or "")}
        argv = [_PLACEHOLDER.sub(lambda m: values[m.group(1)], word) for word in self.argv]
        if "file" in placeholders_in(self.argv):
            (scratch / PROBE_FILE).write_text(code)
            (scratch / PROBE_FILE).chmod(0o644)
            return argv
        return argv + ["python3", "-c", code]

    def run(self, code: str, *, timeout: int | None = None, memory_limit: str | None = None) -> dict:
        timeout = int(timeout or base.DEFAULT_TIMEOUT_S)
        memory_mb = base.memory_mb(memory_limit)
        eval_id, started_at = base.new_eval_id(self.kind), base.now_iso()
        # The status file's directory is the suite's, outside the scratch the code can write.
        status_dir = Path(tempfile.mkdtemp(prefix="suite-status-"))
        try:
            with SafetyNet(self.limits) as net:
                argv = self.argv_for(code, timeout, memory_mb, net.scratch, status_dir / STATUS_FILE)
                env = base.launch_env(str(net.scratch), self.canaries)
                try:
                    proc = net.popen(argv, env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
                except OSError as exc:
                    return base.record(eval_id=eval_id, engine=self.kind, started_at=started_at, runtime_ms=0,
                                       exit_code=None, signal=None, output="", error=f"{argv[0]}: {exc}",
                                       reason="sandbox_error")
                outcome = self._wait(net, proc, timeout)
            return self._record(eval_id, started_at, timeout, status=read_status(status_dir / STATUS_FILE),
                                **outcome)
        finally:
            shutil.rmtree(status_dir, ignore_errors=True)

    def _wait(self, net: SafetyNet, proc: subprocess.Popen, timeout: int) -> dict:
        """Wait for the command under the harness's timeout, the output cap and the net's
        wall time; then kill whatever it left in the net. What stopped it, and what it said."""
        proc.stdin.close()
        flood = threading.Event()
        out = CappedReader(proc.stdout, self.limits.output_bytes, flood.set)
        err = CappedReader(proc.stderr, self.limits.output_bytes, flood.set)
        deadline = timeout + (TARGET_TIMEOUT_GRACE_S if self.enforces_timeout else 0)
        stopped = None
        while proc.poll() is None:
            if flood.is_set():
                stopped = "output"
            elif net.expired():
                stopped = "wall"
            elif net.elapsed() > deadline:
                stopped = "timeout"
            if stopped:
                net.kill_all()
                break
            net.watch()
            flood.wait(POLL_S)
        returncode = proc.wait()
        elapsed = net.elapsed()
        if not (out.join(PIPE_GRACE_S) and err.join(PIPE_GRACE_S)):
            net.kill_all()          # processes it left behind still hold its output open
            out.join(PIPE_GRACE_S)
            err.join(PIPE_GRACE_S)
        breaches = net.breaches()
        if flood.is_set() and stopped is None:
            stopped = "output"
        return {"returncode": returncode, "elapsed": elapsed, "stopped": stopped, "breaches": breaches,
                "out": out, "err": err}

    def _record(self, eval_id: str, started_at: str, timeout: int, *, returncode: int, elapsed: float,
                stopped: str | None, breaches: list[str], out: CappedReader, err: CappedReader,
                status: dict | str | None = None) -> dict:
        if stopped == "output":
            breaches = [f"its output cap ({self.limits.output_bytes // 1024} KiB per stream) ended "
                        f"an output flood", *breaches]
        output, error = out.text(), err.text()
        said = status if isinstance(status, dict) else {}
        if isinstance(status, str):             # a status the command wrote wrong: fail closed
            stopped, error = stopped or "sandbox_error", f"{error}\n[suite] {status}"
        record = base.outcome(eval_id=eval_id, engine=self.kind, started_at=started_at, timeout=timeout,
                              returncode=returncode, elapsed=elapsed, stopped=stopped, breaches=breaches,
                              output=output, error=error,
                              output_truncated=out.truncated or said.get("output_truncated", False),
                              error_truncated=err.truncated or said.get("error_truncated", False),
                              setup_failed=returncode in SETUP_FAILURES and not output,
                              suite_limits=self.limits.describe())
        if said.get("reason") is not None and stopped is None:
            record["reason"], record["status"] = said["reason"], "failed"
        return record


def read_status(path: Path) -> dict | str | None:
    """What a command wrote to `{status}`: None (nothing), the object, or what is wrong with it."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"the command's status file {path} cannot be read: {exc}"
    try:
        said = json.loads(text)
    except ValueError:
        return f"the command's status {text[:200]!r} is not JSON"
    if not isinstance(said, dict):
        return f"the command's status {said!r} is not an object"
    wrong = sorted(k for k, v in said.items() if k not in STATUS_FIELDS or not isinstance(v, STATUS_FIELDS[k]))
    if wrong or said.get("reason", "output_limit") not in base.REASONS[1:]:
        return (f"the command's status {said!r} holds unknown or mistyped fields {wrong} (known: reason, one of "
                f"{', '.join(r for r in base.REASONS if r)}; output_truncated, error_truncated: booleans)")
    return said
