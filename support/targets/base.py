"""What the isolation features need of a target that is a sandbox rather than a platform.

A runner takes a probe's source (support/probes) and runs it once, in a fresh sandbox,
returning a record shaped like the contract's GET /api/eval/{id} (docs/contract.md), so
the steps read a sandbox's outcome exactly as they read a platform's. The lead's
platform runner implements the same protocol over HTTP.

`contained_by_suite` is the one field a platform never has: None, or a sentence naming
which limit of the suite's own safety net (support/safety_net.py) had to stop the code.
Set, it means the target failed to contain what it ran.
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime, timezone
from typing import Optional, Protocol, runtime_checkable

REASONS = (None, "nonzero_exit", "timeout", "memory", "output_limit", "killed", "sandbox_error")
DEFAULT_TIMEOUT_S = 30          # the contract's default timeout
DEFAULT_MEMORY = "256Mi"
_MEMORY = re.compile(r"^\s*(\d+)\s*(Ki|Mi|Gi|K|M|G|KiB|MiB|GiB|KB|MB|GB)?\s*$", re.IGNORECASE)
_UNITS = {"k": 1 / 1024, "m": 1, "g": 1024}


@runtime_checkable
class SandboxRunner(Protocol):
    kind: str          # "command" or "inspect"
    description: str   # shown in reports, e.g. "command: bwrap --unshare-all ... --"
    local: bool        # the code runs on this host (scenarios that look at the host apply)

    def run(self, code: str, *, timeout: int | None = None, memory_limit: str | None = None) -> dict: ...

    def secret_needles(self) -> list[str]: ...

    def close(self) -> None: ...


def memory_mb(limit: str | None) -> int:
    """'64Mi' -> 64, '1Gi' -> 1024, '512' (MiB) -> 512; the contract's memory_limit form."""
    match = _MEMORY.match(limit or DEFAULT_MEMORY)
    if not match:
        raise ValueError(f"memory_limit {limit!r} is not a size like 64Mi or 1Gi")
    unit = (match.group(2) or "m")[0].lower()
    return max(1, int(int(match.group(1)) * _UNITS[unit]))


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def new_eval_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:16]}"


def record(*, eval_id: str, engine: str, started_at: str, runtime_ms: float, exit_code: Optional[int],
           signal: Optional[int], output: str, error: str, output_truncated: bool = False,
           error_truncated: bool = False, reason: Optional[str] = None,
           contained_by_suite: Optional[str] = None, **extra) -> dict:
    """The contract-shaped record of one run. `reason` None with a nonzero exit becomes
    "nonzero_exit"; status is "completed" exactly when the code exited 0 with no reason."""
    if reason is None and exit_code != 0:
        reason = "nonzero_exit" if exit_code is not None else "killed"
    assert reason in REASONS, f"unknown reason {reason!r}"
    return {
        "eval_id": eval_id, "status": "completed" if reason is None else "failed", "reason": reason,
        "exit_code": exit_code, "signal": signal, "output": output, "error": error,
        "output_truncated": output_truncated, "error_truncated": error_truncated,
        "runtime_ms": round(runtime_ms, 1), "started_at": started_at, "completed_at": now_iso(),
        "engine": engine, "contained_by_suite": contained_by_suite, **extra,
    }


def outcome(*, eval_id: str, engine: str, started_at: str, timeout: int, returncode: Optional[int],
            elapsed: float, stopped: Optional[str], breaches: list[str], output: str, error: str,
            setup_failed: bool = False, **fields) -> dict:
    """The record of a run, its reason read from how it ended.

    `returncode` is the process's (negative: killed by that signal; 128+N from a wrapper
    that reports signal N so); `stopped` says what the suite ended it for ("timeout", "wall",
    "output", "sandbox_error"), `breaches` which of the safety net's limits it hit."""
    contained = ("the suite's safety net had to stop the code: " + "; ".join(breaches)) if breaches else None
    exit_code, signal = (None, -returncode) if returncode is not None and returncode < 0 else (returncode, None)
    if exit_code is not None and 128 < exit_code <= 128 + 64:
        signal = exit_code - 128
    memory_breach = any("memory limit" in b for b in breaches)
    if stopped == "output":
        reason = "output_limit"
    elif stopped == "sandbox_error":
        reason = "sandbox_error"
    elif stopped in ("timeout", "wall") or (signal is not None and elapsed >= timeout and not memory_breach):
        reason = "timeout"
    elif memory_breach or memory_reason(error):
        reason = "memory"
    elif returncode == 0:
        reason = None
    elif signal is not None:
        reason = "killed"
    elif setup_failed:
        reason = "sandbox_error"
    else:
        reason = "nonzero_exit"
    return record(eval_id=eval_id, engine=engine, started_at=started_at, runtime_ms=elapsed * 1000,
                  exit_code=exit_code, signal=signal, output=output, error=error, reason=reason,
                  contained_by_suite=contained, **fields)


def memory_reason(error: str) -> bool:
    """A Python that ran out of address space or memory ends with a MemoryError traceback."""
    tail = error.strip().splitlines()[-1:] if error.strip() else []
    return bool(tail) and tail[0].startswith("MemoryError")


class Canaries:
    """Secret-looking values the suite plants in the environment it launches a sandbox
    from. The secrets scenarios search the code's every readable environment for them:
    a sandbox that passes its launcher's environment through leaks them."""

    NAMES = ("SUITE_CANARY_TOKEN", "AWS_SECRET_ACCESS_KEY", "DATABASE_URL", "REDIS_URL")

    def __init__(self) -> None:
        token = secrets.token_hex(12)
        self.values = {
            "SUITE_CANARY_TOKEN": f"canary-token-{token}",
            "AWS_SECRET_ACCESS_KEY": f"canary-aws-{secrets.token_hex(12)}",
            "DATABASE_URL": f"postgresql://canary:canary-pw-{secrets.token_hex(8)}@127.0.0.1:1/canary",
            "REDIS_URL": f"redis://:canary-redis-{secrets.token_hex(8)}@127.0.0.1:1/0",
        }

    def needles(self) -> list[str]:
        """The distinctive part of each value (what must never appear inside)."""
        return [re.search(r"canary-[a-z]+-[0-9a-f]+", v).group(0) for v in self.values.values()]


def launch_env(scratch: str, canaries: Canaries) -> dict[str, str]:
    """The environment a sandbox is launched with: a plain shell's, rooted in the net's
    scratch, plus the canaries. Never the suite's own environment, which may hold real
    credentials a weak sandbox would hand to the code."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8",
            "HOME": scratch, "TMPDIR": scratch, **canaries.values}
