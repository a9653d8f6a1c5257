"""The kubernetes executor's create/watch/log/delete flow, against the local API-server
emulator (tests/k8s/emulator.py) with the official client pointed at it.

The Pod lifecycles are scripts of what the scheduler, the kubelet and the Job
controller would report; the container logs are the real runner's output on each
scenario's code. What this can and cannot show is in docs/kubernetes.md.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from evalplatform import contract
from evalplatform.executor.kubernetes import KubernetesExecutor
from evalplatform.executor.kubernetes.manifest import as_dict, plan_job
from evalplatform.run import RunRequest, default_limits
from support.waiting import until
from tests.k8s.container import runner_log
from tests.k8s.emulator import (Emulator, Script, deadline_exceeded, gate, pending, running, terminated,
                                unschedulable)


@pytest.fixture
def cluster(k8s_settings):
    """cluster(script, **settings) -> (emulator, executor); the emulator stops after the test."""
    started = []

    def start(script: Script, **overrides):
        emulator = Emulator(script).__enter__()
        started.append(emulator)
        return emulator, KubernetesExecutor(k8s_settings(emulator.url, **overrides))
    yield start
    for emulator in started:
        emulator.__exit__(None, None, None)


def run_request(code: str = "print('hi')", run_id: str = "e-1", **limits) -> RunRequest:
    return RunRequest(run_id=run_id, code=code, limits=default_limits(**limits))


def assert_nothing_left(emulator: Emulator) -> None:
    world = emulator.world
    assert (world.jobs, world.pods, world.configmaps) == ({}, {}, {}), "a Job, Pod or ConfigMap was left behind"


def assert_foreground_deletes(emulator: Emulator) -> None:
    deletes = emulator.deletes("jobs")
    assert deletes and all(body["propagationPolicy"] == "Foreground" for body in deletes), deletes


def test_success_returns_output_apart_from_errors_streams_it_live_and_keeps_the_job_for_its_ttl(cluster, tmp_path):
    code = "import sys\nprint('hello', flush=True)\nprint('warn', file=sys.stderr)\n"
    log, exit_code = runner_log(code, tmp_path)
    seen_live = threading.Event()
    emulator, executor = cluster(Script([pending(), running(log[:6]), gate(seen_live), terminated(exit_code, log)]))
    live = []

    result = executor.run(run_request(code), on_output=lambda stream, chunk: (live.append((stream, chunk)), seen_live.set()))

    assert (result.reason, result.exit_code, result.stdout, result.stderr) == (None, 0, "hello\n", "warn\n")
    assert result.engine == "gvisor" and result.ok
    assert {stream for stream, _ in live} == {"stdout"}
    assert live[0][1] == b"hello"      # the newline waits: it could begin the runner's trailer
    assert b"".join(chunk for _, chunk in live) == b"hello\n"     # the trailer is never shown
    job, = emulator.world.jobs.values()
    configmap, = emulator.world.configmaps.values()
    assert configmap["metadata"]["ownerReferences"][0]["uid"] == job["metadata"]["uid"]   # removed with the Job
    assert emulator.deletes("jobs") == []


def test_nonzero_exit_is_reported_with_its_code_and_stderr(cluster, tmp_path):
    code = "import sys\nsys.exit('bad input')\n"
    log, exit_code = runner_log(code, tmp_path)
    _, executor = cluster(Script([pending(), running(), terminated(exit_code, log)]))
    result = executor.run(run_request(code))
    assert (result.reason, result.exit_code, result.stderr) == (contract.REASON_NONZERO_EXIT, 1, "bad input\n")


def test_the_runners_own_timeout_is_a_timeout(cluster, tmp_path):
    code = "print('started', flush=True)\nwhile True: pass\n"
    log, exit_code = runner_log(code, tmp_path, timeout_s=1)
    _, executor = cluster(Script([running(), terminated(exit_code, log)]))
    result = executor.run(run_request(code, timeout_s=1))
    assert (result.reason, result.signal, result.stdout) == (contract.REASON_TIMEOUT, 9, "started\n")


def test_the_jobs_deadline_is_a_timeout_and_the_job_is_deleted(cluster):
    emulator, executor = cluster(Script([pending(), running(b"partial"), deadline_exceeded()]))
    result = executor.run(run_request())
    assert result.reason == contract.REASON_TIMEOUT
    assert "DeadlineExceeded" in result.stderr
    assert_nothing_left(emulator)


def test_an_oom_kill_is_a_memory_failure(cluster):
    emulator, executor = cluster(Script([running(), terminated(137, b"allocating\n", reason="OOMKilled")]))
    result = executor.run(run_request(memory_mb=64))
    assert (result.reason, result.signal, result.stdout) == (contract.REASON_MEMORY, 9, "allocating\n")


def test_output_over_the_limit_is_reported(cluster, tmp_path):
    code = "print('x' * 5000)\n"
    log, exit_code = runner_log(code, tmp_path, cap=1024)
    _, executor = cluster(Script([running(), terminated(exit_code, log)]), output_limit_bytes=1024)
    result = executor.run(run_request(code))
    assert (result.reason, result.stdout_truncated, len(result.stdout)) == (contract.REASON_OUTPUT_LIMIT, True, 1024)


def test_an_image_pull_failure_fails_fast_with_the_kubelets_reason(cluster):
    emulator, executor = cluster(Script([
        pending("ErrImagePull", "pull access denied"),
        pending("ImagePullBackOff", 'Back-off pulling image "python:3.11-slim"')]), k8s_start_timeout_s=60)
    result = executor.run(run_request())
    assert result.reason == contract.REASON_SANDBOX_ERROR
    assert "ImagePullBackOff" in result.stderr and "python:3.11-slim" in result.stderr
    assert result.runtime_ms < 60_000      # not the start allowance: failed at the first fatal state
    assert_foreground_deletes(emulator)
    assert_nothing_left(emulator)


def test_an_unschedulable_pod_is_rejected_with_the_schedulers_message(cluster):
    emulator, executor = cluster(Script([unschedulable("0/3 nodes are available: 3 Insufficient memory.")]),
                                 k8s_start_timeout_s=1)
    result = executor.run(run_request(memory_mb=2048))
    assert result.reason == contract.REASON_REJECTED
    assert "Insufficient memory" in result.stderr
    assert_nothing_left(emulator)


def test_cancel_while_running_deletes_the_job_in_the_foreground(cluster):
    emulator, executor = cluster(Script([pending(), running(b"working\n")]))
    pod_running = lambda: any(p["status"]["phase"] == "Running" for p in emulator.world.pods.values())  # noqa: E731
    result = executor.run(run_request(), should_cancel=pod_running)
    assert result.reason == contract.REASON_KILLED
    assert_foreground_deletes(emulator)
    assert_nothing_left(emulator)


def test_kill_from_another_thread_stops_the_run(cluster):
    emulator, executor = cluster(Script([pending(), running(b"working\n")]))
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.update(result=executor.run(run_request())))
    runner.start()
    until(lambda: [p["status"]["phase"] for p in emulator.world.pods.values()], lambda phases: "Running" in phases,
          timeout=10, description="the evaluation's Pod to run")
    assert executor.kill("e-1") is True
    runner.join(30)
    assert outcome["result"].reason == contract.REASON_KILLED
    assert_foreground_deletes(emulator)
    assert_nothing_left(emulator)


def test_cancel_racing_creation_leaves_no_job(cluster):
    emulator, executor = cluster(Script([pending(), running()]))
    cancelled = threading.Event()
    emulator.world.on_create_job = lambda job: cancelled.set()    # the cancel lands while the create is in flight
    result = executor.run(run_request(), should_cancel=cancelled.is_set)
    assert result.reason == contract.REASON_KILLED
    assert_nothing_left(emulator)


def test_kill_racing_creation_leaves_no_job(cluster):
    emulator, executor = cluster(Script([pending(), running()]))
    answers = []
    # kill() runs (and finds no Job yet) while the create request is being served.
    emulator.world.on_create_job = lambda job: answers.append(executor.kill("e-1"))
    result = executor.run(run_request())
    assert answers == [False]
    assert result.reason == contract.REASON_KILLED
    assert_nothing_left(emulator)


def test_a_create_whose_answer_is_lost_leaves_no_job(cluster):
    emulator, executor = cluster(Script([pending(), running()]))
    emulator.world.on_create_job = lambda job: "drop"
    result = executor.run(run_request())
    assert result.reason == contract.REASON_SANDBOX_ERROR
    assert_nothing_left(emulator)


def test_a_job_left_by_an_earlier_attempt_is_deleted_first(cluster):
    emulator, executor = cluster(Script([pending()]))
    old = plan_job(run_request(), executor.settings)
    executor.apis.batch.create_namespaced_job(old.namespace, as_dict(old.job))
    emulator.world.script.steps = [running(), terminated(0, b"")]
    executor.run(run_request())
    assert old.name not in emulator.world.jobs
    assert emulator.deletes("jobs")[0] == {"propagationPolicy": "Foreground", "gracePeriodSeconds": 0}


def test_code_too_large_for_a_configmap_is_rejected_without_touching_the_cluster(cluster):
    emulator, executor = cluster(Script([]))
    result = executor.run(run_request("é" * (1024 * 1024)))
    assert result.reason == contract.REASON_REJECTED and "ConfigMap" in result.stderr
    assert emulator.world.requests == []


def test_negative_control_the_emulator_refuses_a_job_that_breaks_the_schema(cluster):
    emulator, executor = cluster(Script([]))
    job = as_dict(plan_job(run_request(), executor.settings).job)
    job["spec"]["template"]["spec"]["containers"][0]["securityContxt"] = {}
    # Sent raw: the client itself already refuses unknown fields before sending.
    request = urllib.request.Request(f"{emulator.url}/apis/batch/v1/namespaces/evals/jobs", method="POST",
                                     data=json.dumps(job).encode(), headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 422 and b"securityContxt" in refused.value.read()
    assert emulator.world.jobs == {}


def test_describe_reports_a_reachable_api_server(cluster):
    _, executor = cluster(Script([]))
    described = executor.describe()
    assert (described["executor"], described["engine"], described["available"]) == ("kubernetes", "gvisor", True)
    assert "v1.37.0-emulator" in described["detail"]
    assert "network_isolation" in described["capabilities"] and "pids_limit" not in described["capabilities"]


def test_negative_control_describe_reports_an_unreachable_api_server_without_raising(cluster):
    emulator, executor = cluster(Script([]))
    emulator.__exit__(None, None, None)          # the API server goes away
    described = executor.describe()
    assert described["available"] is False and "not reachable" in described["detail"]


def test_a_container_that_ran_between_two_polls_still_has_its_log_read(cluster, tmp_path):
    code = "print('quick')\n"
    log, exit_code = runner_log(code, tmp_path)
    emulator, executor = cluster(Script([pending(), terminated(exit_code, log)]))   # never seen Running
    result = executor.run(run_request(code))
    assert (result.reason, result.stdout) == (None, "quick\n")
    reads = [query for method, path, query, _ in emulator.world.requests if path.endswith("/log")]
    assert reads == [{"container": "main"}]      # one plain read, no follow
