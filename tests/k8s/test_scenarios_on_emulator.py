"""The @k8s scenarios end to end, with the emulator in place of a cluster.

The suite runs in a child pytest exactly as an operator runs it against a cluster
(KUBECONFIG and K8S_NAMESPACE set), against the embedded stack (real API, Celery
worker, Redis, PostgreSQL) whose worker uses the kubernetes executor pointed at the
emulator, which also holds the objects the dev overlay applies. Evaluation Pods stay
Running until deleted (the emulator runs no code), so the scenario that needs an
evaluation to complete ("time to live") is left to a real cluster; its steps are
checked on their own in test_suite_steps.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.k8s.emulator import Emulator, Script, pending, running
from tests.k8s.render import render

ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "evalplatform-evals"
# Variables that would point the child suite at another target than the embedded stack.
TARGET_VARIABLES = ("API_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DATABASE_URL")


@pytest.mark.integration
@pytest.mark.slow
def test_the_k8s_scenarios_pass_on_the_embedded_stack_with_the_kubernetes_executor(tmp_path):
    with Emulator(Script([pending(), running()])) as emulator:
        emulator.apply(render("overlays/dev"))
        env = {k: v for k, v in os.environ.items() if k not in TARGET_VARIABLES}
        env.update(KUBECONFIG=emulator.write_kubeconfig(tmp_path / "kubeconfig"), K8S_NAMESPACE=NAMESPACE,
                   EVALPLATFORM_EXECUTOR="kubernetes", EVALPLATFORM_K8S_API_HOST=emulator.url,
                   EVALPLATFORM_K8S_NAMESPACE=NAMESPACE, EVALPLATFORM_K8S_POLL_INTERVAL_S="0.2")
        done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs",
                               f"--report-dir={tmp_path / 'reports'}",
                               "features/test_kubernetes.py", "-k", "not time_to_live"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
        assert "5 passed" in done.stdout, done.stdout[-3000:]
        # The cancelled evaluation's Job was deleted in the foreground; the others were
        # cancelled by the scenarios' own cleanup, so no evaluation Job is left behind.
        assert emulator.deletes("jobs") and all(b["propagationPolicy"] == "Foreground" for b in emulator.deletes("jobs"))
        assert emulator.world.jobs == {}
