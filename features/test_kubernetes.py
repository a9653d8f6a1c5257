"""Binds features/kubernetes.feature: one feature, one test module (`pytest features/test_kubernetes.py`)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pytest_bdd import parsers, scenarios, then, when

from support import waiting
from support.kubernetes import (
    Cluster,
    denies_all,
    evaluation_job_violations,
    selects_evaluations,
)

scenarios("kubernetes.feature")

# The TTL controller removes a finished Job soon after its TTL, not at the second.
TTL_CONTROLLER_GRACE_S = 60


@pytest.fixture(scope="session")
def kubernetes_cluster(target) -> Cluster:
    assert target.k8s, "a @k8s scenario ran without KUBECONFIG (support/gating.py leaves them out)"
    return Cluster.connect(target.kubeconfig, target.k8s_namespace)


def jobs_of(cluster: Cluster, eval_id: str) -> list[dict]:
    return cluster.jobs(f"app=evaluation,eval-id={eval_id}")


def the_job(context, cluster: Cluster, target) -> dict:
    """The evaluation's Job, waited for: the worker creates it just before the run starts."""
    jobs = waiting.until(lambda: jobs_of(cluster, context.eval_id), bool, timeout=target.seconds(30),
                         description=f"a Job labelled eval-id={context.eval_id}")
    assert len(jobs) == 1, f"expected one Job for the evaluation, found {[j['metadata']['name'] for j in jobs]}"
    return jobs[0]


def finished_at(job: dict) -> datetime | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition["type"] in ("Complete", "Failed") and condition["status"] == "True":
            return datetime.fromisoformat(condition["lastTransitionTime"].replace("Z", "+00:00"))
    return None


# -- steps only this feature uses --

@when("the evaluation's Job exists")
def job_exists(context, kubernetes_cluster, target):
    context.job = the_job(context, kubernetes_cluster, target)


@then("the evaluation's Job carries the labels app=evaluation, eval-id and created-by")
def job_labels(context, kubernetes_cluster, target):
    labels = the_job(context, kubernetes_cluster, target)["metadata"]["labels"]
    assert labels.get("app") == "evaluation" and labels.get("eval-id") == context.eval_id, labels
    assert labels.get("created-by"), labels


@then("the evaluation's Job follows every rule of an evaluation Job")
def job_rules(context, kubernetes_cluster, target):
    job = the_job(context, kubernetes_cluster, target)
    assert evaluation_job_violations(job) == [], job


@then(parsers.parse('the evaluation\'s Job names the runtime class "{name}"'))
def job_runtime_class(context, kubernetes_cluster, target, name):
    assert the_job(context, kubernetes_cluster, target)["spec"]["template"]["spec"].get("runtimeClassName") == name


@then(parsers.parse("the evaluation's Job is gone within {seconds:d} seconds"))
def job_gone(context, kubernetes_cluster, target, seconds):
    waiting.until(lambda: jobs_of(kubernetes_cluster, context.eval_id), lambda jobs: jobs == [],
                  timeout=target.seconds(seconds), description="the cancelled evaluation's Job to be deleted")


@then("a NetworkPolicy in the evaluation namespace denies all traffic to and from pods labelled app=evaluation")
def network_policy(kubernetes_cluster):
    policies = kubernetes_cluster.network_policies()
    assert any(selects_evaluations(p) and denies_all(p) for p in policies), \
        f"no deny-all policy for app=evaluation among {[p['metadata']['name'] for p in policies]}"


@then(parsers.parse('the RuntimeClass "{name}" exists with the handler "{handler}"'))
def runtime_class(kubernetes_cluster, name, handler):
    found = kubernetes_cluster.runtime_class(name)
    assert found is not None, f"no RuntimeClass {name!r}"
    assert found["handler"] == handler, found


@then(parsers.parse('the evaluation namespace is labelled to enforce the "{level}" Pod Security Standard'))
def pod_security(kubernetes_cluster, level):
    labels = kubernetes_cluster.namespace_labels()
    assert labels.get("pod-security.kubernetes.io/enforce") == level, labels


@then("every evaluation Job has a time to live")
def every_job_has_ttl(kubernetes_cluster):
    missing = [j["metadata"]["name"] for j in kubernetes_cluster.jobs("app=evaluation")
               if j["spec"].get("ttlSecondsAfterFinished") is None]
    assert missing == [], f"evaluation Jobs without ttlSecondsAfterFinished: {missing}"


@then("no finished evaluation Job is still there past its time to live")
def no_job_past_ttl(kubernetes_cluster):
    now = datetime.now(timezone.utc)
    overdue = []
    for job in kubernetes_cluster.jobs("app=evaluation"):
        ended, ttl = finished_at(job), job["spec"].get("ttlSecondsAfterFinished")
        if ended and ttl is not None and now > ended + timedelta(seconds=ttl + TTL_CONTROLLER_GRACE_S):
            overdue.append(f"{job['metadata']['name']} (finished {ended.isoformat()}, ttl {ttl}s)")
    assert overdue == [], f"Jobs past their time to live: {overdue}"
