"""The evaluation Job the executor builds: schema-valid, a faithful client model, and
every rule of issue 8 that a schema cannot express. Each checker also has a negative
control: it must reject a Job that breaks its rule."""

from __future__ import annotations

import copy

import pytest

from evalplatform.executor.kubernetes.manifest import (CONFIGMAP_MAX_BYTES, CodeTooLarge, as_dict, eval_label, job_name,
                                       plan_job, priority_class)
from evalplatform.executor.quantities import limits_of
from evalplatform.run import RunRequest
from evalplatform.settings import Settings
from support.kubernetes import evaluation_job_violations, quantity
from tests.k8s.checks import model_roundtrip_errors, schema_errors

SPECS = [
    RunRequest(run_id="demo", code="print('hi')"),
    RunRequest(run_id="3f1c2a7e-8b0d-4c55-9d0e-5a1b2c3d4e5f", code="x = 1\n", priority=10, environment="python-ml",
               limits=limits_of(300, "2048Mi", "2")),
    RunRequest(run_id="low", code="pass", priority=-3, limits=limits_of(1, "16Mi", "50m")),
]


def documents(spec: RunRequest, settings: Settings | None = None) -> tuple[dict, dict]:
    plan = plan_job(spec, settings or Settings())
    return as_dict(plan.configmap), as_dict(plan.job)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.run_id[:8])
def test_job_and_configmap_validate_against_the_kubernetes_schemas(spec):
    for doc in documents(spec):
        assert schema_errors(doc) == []


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.run_id[:8])
def test_job_and_configmap_are_faithful_client_models(spec):
    for doc in documents(spec):
        assert model_roundtrip_errors(doc) == []


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.run_id[:8])
def test_job_follows_every_evaluation_rule(spec):
    _, job = documents(spec)
    assert evaluation_job_violations(job) == []


def test_job_fields_come_from_the_evaluation():
    spec = SPECS[1]
    _, job = documents(spec)
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert job["metadata"]["labels"] == {"app": "evaluation", "eval-id": spec.run_id, "created-by": "evalplatform"}
    assert job["spec"]["activeDeadlineSeconds"] == spec.limits.timeout_s + Settings().k8s_start_timeout_s
    assert job["spec"]["ttlSecondsAfterFinished"] == Settings().k8s_ttl_s
    assert container["resources"]["limits"]["memory"] == "2048Mi"
    assert quantity(container["resources"]["limits"]["cpu"]) == 2
    assert container["image"] == Settings().k8s_images["python-ml"]
    assert pod["priorityClassName"] == "evaluation-high"
    assert str(spec.limits.timeout_s) in container["command"]   # the runner's exact timeout
    assert pod["volumes"][0]["configMap"]["name"] == job["metadata"]["name"]


def test_a_cpu_limit_below_the_default_request_lowers_the_request():
    _, job = documents(SPECS[2])
    resources = job["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert quantity(resources["requests"]["cpu"]) == quantity(resources["limits"]["cpu"]) == 0.05


@pytest.mark.parametrize("priority, expected", [(-1, "evaluation-low"), (0, "evaluation-normal"),
                                                (4, "evaluation-normal"), (5, "evaluation-high")])
def test_priorities_map_to_priority_classes(priority, expected):
    assert priority_class(priority) == expected


BREAKS = {
    "restartPolicy": lambda j: j["spec"]["template"]["spec"].update(restartPolicy="OnFailure"),
    "backoffLimit": lambda j: j["spec"].update(backoffLimit=6),
    "runtimeClassName": lambda j: j["spec"]["template"]["spec"].pop("runtimeClassName"),
    "limit below request": lambda j: j["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"].update(
        memory="1Mi"),
    "runAsNonRoot": lambda j: j["spec"]["template"]["spec"]["containers"][0]["securityContext"].update(
        runAsNonRoot=False) or j["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot=False),
    "allowPrivilegeEscalation": lambda j: j["spec"]["template"]["spec"]["containers"][0]["securityContext"].pop(
        "allowPrivilegeEscalation"),
    "capabilities": lambda j: j["spec"]["template"]["spec"]["containers"][0]["securityContext"].update(
        capabilities={"drop": ["NET_RAW"]}),
    "readOnlyRootFilesystem": lambda j: j["spec"]["template"]["spec"]["containers"][0]["securityContext"].update(
        readOnlyRootFilesystem=False),
    "token": lambda j: j["spec"]["template"]["spec"].pop("automountServiceAccountToken"),
    "label": lambda j: j["metadata"]["labels"].pop("created-by"),
    "scratch size": lambda j: j["spec"]["template"]["spec"]["volumes"][1]["emptyDir"].pop("sizeLimit"),
}


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_negative_control_each_rule_rejects_a_job_that_breaks_it(rule):
    _, job = documents(SPECS[0])
    broken = copy.deepcopy(job)
    BREAKS[rule](broken)
    assert evaluation_job_violations(broken), f"breaking {rule} went unnoticed"


def test_negative_control_schema_and_model_checks_reject_unknown_or_mistyped_fields():
    _, job = documents(SPECS[0])
    unknown = copy.deepcopy(job)
    unknown["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFs"] = True   # a typo of the real field
    mistyped = copy.deepcopy(job)
    mistyped["spec"]["backoffLimit"] = "none"
    assert schema_errors(unknown) and model_roundtrip_errors(unknown)
    assert schema_errors(mistyped) and model_roundtrip_errors(mistyped)


def test_code_up_to_the_configmap_limit_fits_and_more_is_refused():
    fits = RunRequest(run_id="big", code="#" * CONFIGMAP_MAX_BYTES)
    assert as_dict(plan_job(fits, Settings()).configmap)["data"]["main.py"] == fits.code
    with pytest.raises(CodeTooLarge):
        plan_job(RunRequest(run_id="big", code="é" * (CONFIGMAP_MAX_BYTES // 2 + 1)), Settings())


def test_an_environment_without_an_image_is_refused():
    with pytest.raises(ValueError, match="no image"):
        plan_job(RunRequest(run_id="x", code="pass", environment="ruby"), Settings())


@pytest.mark.parametrize("eval_id", ["demo", "A.b_c-9", "x" * 80, "with space/and:colon", "-edge-"])
def test_names_and_labels_are_valid_for_any_eval_id(eval_id):
    _, job = documents(RunRequest(run_id=eval_id, code="pass"))
    assert schema_errors(job) == []
    label = eval_label(eval_id)
    assert len(label) <= 63 and label[0].isalnum() and label[-1].isalnum()
    assert len(job_name(eval_id)) <= 63
    assert job_name(eval_id) != job_name(eval_id)          # a retry never collides with its old Job
    assert job["metadata"]["annotations"]["evalplatform/eval-id"] == eval_id
