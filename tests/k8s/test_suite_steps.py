"""The suite's @k8s steps, run against the emulator holding what deploy/k8s applies.

This checks the steps and support/kubernetes.py end to end over HTTP, through a real
kubeconfig file (the KUBECONFIG path the suite takes), and that the deploy/k8s objects
satisfy them. It does not replace running them on a cluster (docs/kubernetes.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from evalplatform.executor.kubernetes.manifest import as_dict, plan_job
from evalplatform.run import RunRequest
from features import test_kubernetes as k8s_steps
from support.kubernetes import Cluster
from tests.k8s.emulator import Emulator, Script
from tests.k8s.render import render

NAMESPACE = "evalplatform-evals"


@pytest.fixture
def applied_cluster(tmp_path):
    with Emulator(Script([])) as emulator:
        emulator.apply(render("overlays/dev"))
        yield emulator, Cluster.connect(emulator.write_kubeconfig(tmp_path / "kubeconfig"), NAMESPACE)


def test_the_cluster_level_steps_pass_on_what_deploy_k8s_applies(applied_cluster):
    _, cluster = applied_cluster
    k8s_steps.network_policy(cluster)
    k8s_steps.runtime_class(cluster, "gvisor", "runsc")
    k8s_steps.pod_security(cluster, "restricted")


def test_negative_control_the_cluster_level_steps_fail_on_an_empty_cluster(applied_cluster):
    emulator, cluster = applied_cluster
    emulator.world.applied.clear()
    for step, args in ((k8s_steps.network_policy, ()), (k8s_steps.runtime_class, ("gvisor", "runsc"))):
        with pytest.raises(AssertionError):
            step(cluster, *args)


def test_the_job_steps_read_an_evaluation_job_and_judge_its_ttl(applied_cluster, k8s_settings):
    emulator, cluster = applied_cluster
    plan = plan_job(RunRequest(run_id="3f1c2a7e-8b0d-4c55-9d0e-5a1b2c3d4e5f", code="pass"),
                    k8s_settings(emulator.url, k8s_namespace=NAMESPACE))
    cluster.batch.create_namespaced_job(NAMESPACE, as_dict(plan.job))
    job, = k8s_steps.jobs_of(cluster, "3f1c2a7e-8b0d-4c55-9d0e-5a1b2c3d4e5f")
    assert job["metadata"]["name"] == plan.name
    k8s_steps.every_job_has_ttl(cluster)
    k8s_steps.no_job_past_ttl(cluster)           # running: no TTL applies yet

    long_ago = (datetime.now(timezone.utc) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    emulator.world.jobs[plan.name]["status"] = {"conditions": [
        {"type": "Complete", "status": "True", "lastTransitionTime": long_ago}]}
    with pytest.raises(AssertionError, match="past their time to live"):
        k8s_steps.no_job_past_ttl(cluster)

