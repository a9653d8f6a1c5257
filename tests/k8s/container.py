"""The evaluation container's log, made on this host: the runner's real output for the
emulator's scripts and the runner's own tests."""

from __future__ import annotations

import subprocess
import sys

from evalplatform.executor.kubernetes.manifest import RUNNER_SOURCE


def runner_log(code: str, tmp_path, timeout_s: float = 10, cap: int = 1024 * 1024) -> tuple[bytes, int]:
    """(log, exit code) of the evaluation container's command run on `code` on this host.

    It runs the exact runner source the Job carries, so the emulator serves the log a
    real container would write. This is the runner's protocol, not a sandbox: the code
    is the test's own.
    """
    path = tmp_path / "main.py"
    path.write_text(code)
    done = subprocess.run([sys.executable, "-I", "-c", RUNNER_SOURCE, str(path), str(timeout_s), str(cap), str(cap)],
                          capture_output=True, timeout=timeout_s + 30)
    return done.stdout, done.returncode
