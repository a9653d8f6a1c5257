"""Every object under deploy/k8s/, rendered with kustomize: schema-valid, a faithful client
model, restricted Pod Security everywhere, and the pieces issue 8 asks for wired to each
other (the names the executor uses exist, the policies select real Pods)."""

from __future__ import annotations

import pytest
import yaml

from evalplatform.executor.kubernetes import KubernetesExecutor
from evalplatform.executor.kubernetes.manifest import priority_class
from evalplatform.run import RunRequest
from evalplatform.settings import Settings
from support.kubernetes import denies_all, resource_violations, restricted_violations, selects_evaluations
from tests.k8s.checks import model_roundtrip_errors, pod_spec_of, schema_errors
from tests.k8s.emulator import Emulator, Script, pending, running, terminated
from tests.k8s.render import DEPLOY, KUSTOMIZATIONS, render

EVALS_NS = "evalplatform-evals"


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    return {name: render(name) for name in KUSTOMIZATIONS}


@pytest.fixture(scope="module")
def deployed(rendered) -> list[dict]:
    """What an operator applies: the dev overlay and the suite."""
    return rendered["overlays/dev"] + rendered["suite"]


def find(docs, kind, name=None) -> list[dict]:
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def ident(doc: dict) -> str:
    return f"{doc['kind']}/{doc['metadata'].get('namespace', '-')}/{doc['metadata']['name']}"


def test_every_kustomization_renders(rendered):
    assert all(rendered[name] for name in KUSTOMIZATIONS)


def test_every_object_validates_against_the_kubernetes_schemas(rendered):
    errors = {ident(d): schema_errors(d) for docs in rendered.values() for d in docs}
    assert {k: v for k, v in errors.items() if v} == {}


def test_every_object_is_a_faithful_client_model(rendered):
    errors = {ident(d): model_roundtrip_errors(d) for docs in rendered.values() for d in docs}
    assert {k: v for k, v in errors.items() if v} == {}


def test_every_pod_is_restricted_and_has_requests_and_limits(deployed):
    pods = {ident(d): pod_spec_of(d) for d in deployed if pod_spec_of(d)}
    assert len(pods) >= 6
    problems = {name: restricted_violations(spec) + resource_violations(spec) for name, spec in pods.items()}
    assert {k: v for k, v in problems.items() if v} == {}


def test_workloads_never_restart_a_job_pod_and_services_run(deployed):
    for job in find(deployed, "Job"):
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never", ident(job)
    names = {ident(d) for d in deployed}
    for expected in ("Deployment/evalplatform/evalplatform-api", "Service/evalplatform/evalplatform-api",
                     "Deployment/evalplatform/evalplatform-worker", "Deployment/evalplatform/redis",
                     "StatefulSet/evalplatform/postgres", "Job/evalplatform/evalplatform-migrate",
                     "Job/evalplatform/evalplatform-acceptance", "ResourceQuota/evalplatform-evals/evaluations"):
        assert expected in names


def test_the_gvisor_runtime_class_is_the_one_evaluations_name(deployed):
    runtime_class, = find(deployed, "RuntimeClass")
    assert runtime_class["handler"] == "runsc"
    assert runtime_class["metadata"]["name"] == Settings().k8s_runtime_class


def test_evaluations_are_denied_all_traffic(deployed):
    policies = [p for p in find(deployed, "NetworkPolicy") if p["metadata"]["namespace"] == EVALS_NS]
    assert any(selects_evaluations(p) and denies_all(p) for p in policies)
    # ...and nothing in their namespace lets any traffic back in.
    assert all(denies_all(p) for p in policies)


def test_negative_control_an_opened_policy_no_longer_denies_all(deployed):
    policy = next(p for p in find(deployed, "NetworkPolicy") if p["metadata"]["namespace"] == EVALS_NS)
    opened = {**policy, "spec": {**policy["spec"], "egress": [{}]}}
    assert not denies_all(opened)
    assert not selects_evaluations({"spec": {"podSelector": {"matchLabels": {"app": "api"}}}})


def test_every_platform_policy_selects_pods_that_exist(deployed):
    labels = [(d["metadata"]["namespace"], (d["spec"]["template"]["metadata"] or {}).get("labels", {}))
              for d in deployed if pod_spec_of(d)]
    for policy in find(deployed, "NetworkPolicy"):
        namespace = policy["metadata"]["namespace"]
        wanted = policy["spec"]["podSelector"].get("matchLabels", {})
        if namespace == EVALS_NS:
            continue        # evaluation Pods are made by the executor, not listed here
        assert any(ns == namespace and wanted.items() <= pod.items() for ns, pod in labels), ident(policy)


def test_every_platform_pod_has_a_policy_of_its_own(deployed):
    policies = [p["spec"]["podSelector"].get("matchLabels", {}) for p in find(deployed, "NetworkPolicy")
                if p["metadata"]["namespace"] == "evalplatform" and p["spec"]["podSelector"]]
    for workload in (d for d in deployed if pod_spec_of(d)):
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        assert any(sel.items() <= pod_labels.items() for sel in policies), ident(workload)


def test_the_evaluation_namespace_enforces_restricted_pod_security(deployed):
    namespaces = {d["metadata"]["name"]: d["metadata"].get("labels", {}) for d in find(deployed, "Namespace")}
    assert namespaces[EVALS_NS]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert namespaces["evalplatform"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_every_priority_the_executor_maps_to_has_a_priority_class(deployed):
    classes = {d["metadata"]["name"]: d for d in find(deployed, "PriorityClass")}
    for priority in (-10, 0, 3, 5, 100):
        name = priority_class(priority)
        assert name in classes and classes[name].get("preemptionPolicy") == "Never"
    values = [classes[priority_class(p)]["value"] for p in (-1, 0, 5)]
    assert values == sorted(values) and len(set(values)) == 3


def calls_made(requests) -> set[tuple[str, str, str]]:
    """(API group, resource, RBAC verb) of each request the executor sent the emulator."""
    made = set()
    for method, path, _, _ in requests:
        parts = path.strip("/").split("/")
        if parts[0] == "version":
            continue                   # a non-resource URL every authenticated client may read
        group = "core" if parts[0] == "api" else parts[1]
        rest = parts[2:] if parts[0] == "api" else parts[3:]      # namespaces/<ns>/<resource>[/<name>[/<sub>]]
        resource = rest[2] + (f"/{rest[4]}" if len(rest) > 4 else "")
        verb = {"GET": "get" if len(rest) > 3 else "list", "POST": "create", "PATCH": "patch",
                "DELETE": "delete"}[method]
        made.add((group, resource, verb))
    return made


def test_the_worker_may_make_exactly_the_calls_the_executor_makes(deployed, k8s_settings, tmp_path):
    role, = find(deployed, "Role", "evaluation-runner")
    granted = {(g or "core", r, v) for rule in role["rules"] for g in rule["apiGroups"]
               for r in rule["resources"] for v in rule["verbs"]}
    made = set()
    # Every path through the executor: a finished Job (log read, Job kept), a cancel, a kill.
    for steps, cancel_once_running in (([running(b"x"), terminated(0, b"x")], False),
                                       ([pending("ImagePullBackOff")], False), ([running()], True)):
        with Emulator(Script(steps)) as emulator:
            executor = KubernetesExecutor(k8s_settings(emulator.url, k8s_namespace=EVALS_NS))
            pods = emulator.world.pods
            executor.run(RunRequest(run_id="rbac", code="pass"), should_cancel=lambda: cancel_once_running and any(
                p["status"]["phase"] == "Running" for p in list(pods.values())))
            executor.kill("rbac")
            made |= calls_made(emulator.world.requests)
    assert granted == made
    binding, = find(deployed, "RoleBinding", "evaluation-runner")
    assert binding["subjects"][0]["name"] == "evalplatform-worker"


def test_the_workers_run_the_kubernetes_executor_in_the_evaluation_namespace(deployed, monkeypatch):
    config, = find(deployed, "ConfigMap", "evalplatform-config")
    for name, value in config["data"].items():      # the worker's environment, read as the worker reads it
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert (settings.executor, settings.k8s_namespace) == ("kubernetes", EVALS_NS)
    assert set(settings.k8s_images) == {"python", "python-ml"}
    worker, = find(deployed, "Deployment", "evalplatform-worker")
    assert worker["spec"]["template"]["spec"]["serviceAccountName"] == "evalplatform-worker"
    api, = find(deployed, "Deployment", "evalplatform-api")
    assert api["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def test_every_manifest_file_is_part_of_a_kustomization():
    listed = set()
    for name in KUSTOMIZATIONS:
        kustomization = yaml.safe_load((DEPLOY / name / "kustomization.yaml").read_text())
        listed |= {(DEPLOY / name / resource).resolve() for resource in kustomization.get("resources", [])}
    files = {path.resolve() for path in DEPLOY.rglob("*.yaml") if path.name != "kustomization.yaml"}
    assert files - listed == set(), "manifests no kustomization renders (so no test validates them)"
