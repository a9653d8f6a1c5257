"""The Job (and its code ConfigMap) that runs one evaluation, built as client models.

Built with the official client's models so that a field the API does not know is a
Python error here, not a silently dropped key on the server; `as_dict` turns them into
the wire form with the client's own serializer. Every rule the issue sets for an
evaluation Job lives here: gVisor runtime class, no restarts and no controller retries
(the platform's retry policy decides), a deadline and a TTL, requests and limits from the
evaluation's limits, the `restricted` Pod Security profile, a read-only root filesystem
with a size-limited scratch volume, and no service-account token or service links.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client as k8s
from kubernetes.client import ApiClient

from evalplatform.executor.kubernetes import runner
from evalplatform.executor.quantities import parse_cpu_cores
from evalplatform.run import RunRequest
from evalplatform.settings import Settings

CONTAINER = "main"
CODE_DIR = "/eval"
CODE_KEY = "main.py"
SCRATCH_DIR = "/scratch"
# A ConfigMap's data may total at most 1 MiB (the API server's MaxSecretSize).
CONFIGMAP_MAX_BYTES = 1024 * 1024
# Container logs (stdout + trailer) count against ephemeral storage beside the scratch volume.
LOG_ALLOWANCE_MB = 32
RUNNER_SOURCE = Path(runner.__file__).read_text(encoding="utf-8")

# Evaluation priority -> PriorityClass (deploy/k8s/base/priorityclasses.yaml); the
# classes never preempt, so a higher priority is scheduled first but kills nothing.
PRIORITY_HIGH_FROM = 5


def priority_class(priority: int) -> str:
    if priority >= PRIORITY_HIGH_FROM:
        return "evaluation-high"
    if priority < 0:
        return "evaluation-low"
    return "evaluation-normal"


class CodeTooLarge(ValueError):
    """The code does not fit the ConfigMap that carries it into the Pod."""


_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_NAME_UNSAFE = re.compile(r"[^a-z0-9-]")


def eval_label(eval_id: str) -> str:
    """`eval_id` as a label value (<= 63 chars of [A-Za-z0-9_.-], alphanumeric at both ends)."""
    value = _LABEL_UNSAFE.sub("-", eval_id).strip("-_.")
    if value == eval_id and len(value) <= 63:
        return value
    digest = hashlib.sha256(eval_id.encode()).hexdigest()[:10]
    return f"{value[:50].strip('-_.')}-{digest}".strip("-")


def job_name(eval_id: str) -> str:
    """A fresh name per attempt: a retried evaluation never collides with its old Job."""
    slug = _NAME_UNSAFE.sub("-", eval_id.lower()).strip("-")[:40].strip("-") or "x"
    return f"eval-{slug}-{secrets.token_hex(3)}"


def labels(settings: Settings, eval_id: str) -> dict[str, str]:
    return {"app": "evaluation", "eval-id": eval_label(eval_id), "created-by": settings.k8s_created_by}


@dataclass(frozen=True)
class JobPlan:
    """A run's request laid out for the cluster: the objects to create, and their names."""

    request: RunRequest
    name: str
    namespace: str
    configmap: k8s.V1ConfigMap
    job: k8s.V1Job


def plan_job(request: RunRequest, settings: Settings, name: str | None = None) -> JobPlan:
    """Everything to create for `request`. Raises CodeTooLarge, or ValueError for an unknown environment."""
    name = name or job_name(request.run_id)
    code_size = len(request.code.encode("utf-8"))
    if code_size > CONFIGMAP_MAX_BYTES:
        raise CodeTooLarge(f"code is {code_size} bytes; a ConfigMap carries at most {CONFIGMAP_MAX_BYTES}")
    if request.environment not in settings.k8s_images:
        raise ValueError(f"environment {request.environment!r} has no image (k8s_images: {sorted(settings.k8s_images)})")
    meta = k8s.V1ObjectMeta(name=name, namespace=settings.k8s_namespace,
                            labels=labels(settings, request.run_id),
                            annotations={"evalplatform/eval-id": request.run_id})
    configmap = k8s.V1ConfigMap(api_version="v1", kind="ConfigMap", metadata=meta,
                                data={CODE_KEY: request.code}, immutable=True)
    job = k8s.V1Job(api_version="batch/v1", kind="Job", metadata=meta, spec=k8s.V1JobSpec(
        backoff_limit=0,
        completions=1,
        parallelism=1,
        active_deadline_seconds=math.ceil(request.limits.timeout_s) + settings.k8s_start_timeout_s,
        ttl_seconds_after_finished=settings.k8s_ttl_s,
        template=k8s.V1PodTemplateSpec(
            metadata=k8s.V1ObjectMeta(labels=labels(settings, request.run_id)),
            spec=_pod_spec(request, settings, name))))
    return JobPlan(request=request, name=name, namespace=settings.k8s_namespace, configmap=configmap, job=job)


def _pod_spec(request: RunRequest, settings: Settings, name: str) -> k8s.V1PodSpec:
    return k8s.V1PodSpec(
        runtime_class_name=settings.k8s_runtime_class,
        restart_policy="Never",
        priority_class_name=priority_class(request.priority),
        automount_service_account_token=False,
        enable_service_links=False,
        termination_grace_period_seconds=1,   # the runner holds no state worth a graceful stop
        security_context=k8s.V1PodSecurityContext(
            run_as_non_root=True, run_as_user=settings.k8s_uid, run_as_group=settings.k8s_uid,
            fs_group=settings.k8s_uid, seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault")),
        containers=[_container(request, settings)],
        volumes=[
            k8s.V1Volume(name="code", config_map=k8s.V1ConfigMapVolumeSource(
                name=name, default_mode=0o444,
                items=[k8s.V1KeyToPath(key=CODE_KEY, path=CODE_KEY)])),
            k8s.V1Volume(name="scratch", empty_dir=k8s.V1EmptyDirVolumeSource(
                size_limit=f"{request.limits.scratch_mb}Mi")),
        ])


def _container(request: RunRequest, settings: Settings) -> k8s.V1Container:
    limits = request.limits
    memory = f"{limits.memory_mb}Mi"
    cpu_limit = limits.cpu_cores or parse_cpu_cores(settings.k8s_cpu_limit)
    cpu_request = min(parse_cpu_cores(settings.k8s_cpu_request), cpu_limit)
    storage = f"{limits.scratch_mb + LOG_ALLOWANCE_MB}Mi"
    return k8s.V1Container(
        name=CONTAINER,
        image=settings.k8s_images[request.environment],
        image_pull_policy="IfNotPresent",
        command=["python", "-I", "-c", RUNNER_SOURCE, f"{CODE_DIR}/{CODE_KEY}",
                 str(limits.timeout_s), str(limits.stdout_bytes), str(limits.stderr_bytes)],
        working_dir=SCRATCH_DIR,
        env=[k8s.V1EnvVar(name=key, value=value) for key, value in {
            "EVAL_ID": request.run_id, "HOME": SCRATCH_DIR, "TMPDIR": SCRATCH_DIR, "LANG": "C.UTF-8"}.items()],
        resources=k8s.V1ResourceRequirements(
            requests={"cpu": _millicores(cpu_request), "memory": memory, "ephemeral-storage": storage},
            limits={"cpu": _millicores(cpu_limit), "memory": memory, "ephemeral-storage": storage}),
        security_context=k8s.V1SecurityContext(
            run_as_non_root=True, run_as_user=settings.k8s_uid, run_as_group=settings.k8s_uid,
            allow_privilege_escalation=False, privileged=False, read_only_root_filesystem=True,
            capabilities=k8s.V1Capabilities(drop=["ALL"]),
            seccomp_profile=k8s.V1SeccompProfile(type="RuntimeDefault")),
        volume_mounts=[k8s.V1VolumeMount(name="code", mount_path=CODE_DIR, read_only=True),
                       k8s.V1VolumeMount(name="scratch", mount_path=SCRATCH_DIR)])


def _millicores(cores: float) -> str:
    return f"{max(1, round(cores * 1000))}m"


def as_dict(model) -> dict:
    """The wire form of a client model (camelCase keys, no None values)."""
    return ApiClient().sanitize_for_serialization(model)
