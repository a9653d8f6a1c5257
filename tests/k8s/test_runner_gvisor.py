"""The evaluation container's runner under gVisor itself (`runsc do`, this host's runsc),
as close to the evaluation Pod's kernel as this machine gets without a cluster."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from evalplatform.executor.kubernetes.logs import split_log
from evalplatform.executor.kubernetes.manifest import RUNNER_SOURCE

RUNSC = shutil.which("runsc")


@pytest.mark.skipif(RUNSC is None or os.geteuid() != 0, reason="needs runsc and root for `runsc do`")
def test_the_runner_keeps_stdout_stderr_and_exit_code_apart_under_gvisor(tmp_path):
    main = tmp_path / "main.py"
    main.write_text("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)\n")
    done = subprocess.run([RUNSC, "--platform=ptrace", "--network=none", "--ignore-cgroups",
                           f"--root={tmp_path / 'runsc-state'}", "do", sys.executable, "-I", "-c", RUNNER_SOURCE,
                           str(main), "10", "1024", "1024"], capture_output=True, timeout=120,
                          input=b"")  # never the host's /dev/null: runsc chowns its stdio
    split = split_log(done.stdout)
    assert split.trailer is not None, done.stderr.decode(errors="replace")[-2000:]
    assert (split.stdout, split.stderr, split.trailer["exit_code"], done.returncode) == (b"out\n", b"err\n", 3, 3)
