"""`python -m evalplatform k8s manifest` prints the Job the executor would create."""

from __future__ import annotations

import subprocess
import sys

import yaml

from evalplatform.executor.kubernetes.manifest import RUNNER_SOURCE
from support.kubernetes import evaluation_job_violations, quantity
from tests.k8s.checks import model_roundtrip_errors, schema_errors


def manifest(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evalplatform", "k8s", "manifest", *args],
                          capture_output=True, text=True, timeout=60)


def test_the_printed_job_has_every_field_and_passes_every_check():
    done = manifest("--eval-id", "demo", "--timeout", "10", "--priority", "7", "--memory-limit", "512Mi")
    assert done.returncode == 0, done.stderr
    job, = yaml.safe_load_all(done.stdout)
    assert (schema_errors(job), model_roundtrip_errors(job), evaluation_job_violations(job)) == ([], [], [])
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert job["metadata"]["labels"]["eval-id"] == "demo"
    assert pod["priorityClassName"] == "evaluation-high"
    assert quantity(container["resources"]["limits"]["memory"]) == 512 * 2**20
    assert container["command"][3] == RUNNER_SOURCE      # printed as a block, read back exactly
    assert "10" in container["command"]


def test_with_a_code_file_the_configmap_comes_first(tmp_path):
    code = tmp_path / "main.py"
    code.write_text("print('hi')\n")
    done = manifest("--eval-id", "demo", "--code-file", str(code))
    configmap, job = yaml.safe_load_all(done.stdout)
    assert configmap["data"]["main.py"] == "print('hi')\n"
    assert job["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] == configmap["metadata"]["name"]


def test_a_bad_memory_limit_is_refused_naming_it():
    done = manifest("--eval-id", "demo", "--memory-limit", "lots")
    assert done.returncode == 2 and "memory_limit" in done.stderr and done.stdout == ""
