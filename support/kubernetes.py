"""What the suite knows about Kubernetes: the rules an evaluation Job must follow, and a
client for the @k8s scenarios.

The rules work on the wire form of objects (camelCase dicts, as `kubectl get -o json`
prints them), so the same functions judge a Job read from a live cluster, a Job the
executor would create, and the pods of every file under deploy/k8s/.

The client is the official one, and only when KUBECONFIG is set (support/config.py);
without it the @k8s scenarios are skipped with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

EVALUATION_LABELS = ("app", "eval-id", "created-by")
PSS_RESTRICTED_CAPABILITIES_ADD = {"NET_BIND_SERVICE"}   # the only capability "restricted" allows adding
RESOURCES_COMPARED = ("cpu", "memory", "ephemeral-storage")


def quantity(text) -> float:
    """A Kubernetes quantity as a number (cores, bytes), with the client's own parser."""
    from kubernetes.utils import parse_quantity
    return float(parse_quantity(str(text)))


def _containers(pod_spec: dict) -> list[dict]:
    return list(pod_spec.get("initContainers") or []) + list(pod_spec.get("containers") or [])


def restricted_violations(pod_spec: dict) -> list[str]:
    """Where a pod spec breaks the "restricted" Pod Security Standard (the fields it checks
    that a schema cannot: values, not shapes). Empty when it complies."""
    problems = []
    pod_ctx = pod_spec.get("securityContext") or {}
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod_spec.get(flag):
            problems.append(f"{flag} is set")
    for volume in pod_spec.get("volumes") or []:
        if "hostPath" in volume:
            problems.append(f"volume {volume.get('name')} is a hostPath")
    for container in _containers(pod_spec):
        ctx = container.get("securityContext") or {}
        where = f"container {container.get('name')}"

        def effective(key):
            return ctx.get(key, pod_ctx.get(key))

        if effective("runAsNonRoot") is not True:
            problems.append(f"{where}: runAsNonRoot is not true")
        if effective("runAsUser") == 0:
            problems.append(f"{where}: runAsUser is 0")
        if ctx.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        if ctx.get("privileged"):
            problems.append(f"{where}: privileged")
        caps = ctx.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            problems.append(f"{where}: capabilities do not drop ALL")
        if set(caps.get("add") or []) - PSS_RESTRICTED_CAPABILITIES_ADD:
            problems.append(f"{where}: adds capabilities {caps.get('add')}")
        seccomp = (ctx.get("seccompProfile") or pod_ctx.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{where}: seccomp profile is {seccomp!r}, not RuntimeDefault")
    return problems


def resource_violations(pod_spec: dict) -> list[str]:
    """Containers without requests and limits, or with a limit below its request."""
    problems = []
    for container in _containers(pod_spec):
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        where = f"container {container.get('name')}"
        for name in ("cpu", "memory"):
            if name not in requests or name not in limits:
                problems.append(f"{where}: no {name} request and limit")
        for name in RESOURCES_COMPARED:
            if name in requests and name in limits and quantity(limits[name]) < quantity(requests[name]):
                problems.append(f"{where}: {name} limit {limits[name]} is below its request {requests[name]}")
    return problems


def evaluation_job_violations(job: dict, runtime_class: str = "gvisor") -> list[str]:
    """Every rule of an evaluation Job (issue 8) that a schema does not check. Empty: it complies."""
    problems = []
    meta, spec = job.get("metadata") or {}, job.get("spec") or {}
    template = spec.get("template") or {}
    pod = template.get("spec") or {}
    for label in EVALUATION_LABELS:
        if not (meta.get("labels") or {}).get(label):
            problems.append(f"Job has no {label!r} label")
    if (meta.get("labels") or {}).get("app") != "evaluation":
        problems.append("Job's app label is not 'evaluation'")
    if (template.get("metadata") or {}).get("labels", {}).get("app") != "evaluation":
        problems.append("Pod template's app label is not 'evaluation' (the NetworkPolicy selects it)")
    if pod.get("runtimeClassName") != runtime_class:
        problems.append(f"runtimeClassName is {pod.get('runtimeClassName')!r}, not {runtime_class!r}")
    if pod.get("restartPolicy") != "Never":
        problems.append(f"restartPolicy is {pod.get('restartPolicy')!r}, not 'Never'")
    if spec.get("backoffLimit") != 0:
        problems.append(f"backoffLimit is {spec.get('backoffLimit')!r}, not 0")
    if not spec.get("activeDeadlineSeconds"):
        problems.append("no activeDeadlineSeconds")
    if spec.get("ttlSecondsAfterFinished") is None:
        problems.append("no ttlSecondsAfterFinished")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append("automountServiceAccountToken is not false")
    if pod.get("enableServiceLinks") is not False:
        problems.append("enableServiceLinks is not false")
    if not pod.get("priorityClassName"):
        problems.append("no priorityClassName")
    uid = (pod.get("securityContext") or {}).get("runAsUser")
    if not uid:
        problems.append(f"pod runAsUser is {uid!r}, not a non-zero uid")
    mounted = {m["name"] for c in _containers(pod) for m in c.get("volumeMounts") or []}
    for container in _containers(pod):
        if (container.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True:
            problems.append(f"container {container.get('name')}: readOnlyRootFilesystem is not true")
    scratch = [v for v in pod.get("volumes") or [] if "emptyDir" in v and v["name"] in mounted]
    if not scratch or not all((v["emptyDir"] or {}).get("sizeLimit") for v in scratch):
        problems.append("no mounted emptyDir scratch volume with a sizeLimit")
    return problems + restricted_violations(pod) + resource_violations(pod)


# ---- the client, for @k8s scenarios ---------------------------------------------------

@dataclass
class Cluster:
    """The cluster KUBECONFIG points at, seen through the official client."""

    api: object            # kubernetes.client.ApiClient
    namespace: str

    @classmethod
    def connect(cls, kubeconfig: str, namespace: str) -> "Cluster":
        from kubernetes import client, config
        configuration = client.Configuration()
        config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
        return cls(client.ApiClient(configuration), namespace)

    def _wire(self, model) -> dict:
        return self.api.sanitize_for_serialization(model)

    @property
    def batch(self):
        from kubernetes import client
        return client.BatchV1Api(self.api)

    def jobs(self, selector: str) -> list[dict]:
        return [self._wire(j) for j in self.batch.list_namespaced_job(self.namespace, label_selector=selector).items]

    def network_policies(self) -> list[dict]:
        from kubernetes import client
        items = client.NetworkingV1Api(self.api).list_namespaced_network_policy(self.namespace).items
        return [self._wire(p) for p in items]

    def runtime_class(self, name: str) -> Optional[dict]:
        from kubernetes import client
        from kubernetes.client.rest import ApiException
        try:
            return self._wire(client.NodeV1Api(self.api).read_runtime_class(name))
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def namespace_labels(self) -> dict:
        from kubernetes import client
        return client.CoreV1Api(self.api).read_namespace(self.namespace).metadata.labels or {}


def selects_evaluations(policy: dict) -> bool:
    """The policy applies to pods labelled app=evaluation (or to every pod)."""
    selector = (policy.get("spec") or {}).get("podSelector") or {}
    labels = selector.get("matchLabels") or {}
    return not selector or labels.get("app") == "evaluation" and len(labels) == 1


def denies_all(policy: dict) -> bool:
    """Both directions listed, and no rule letting anything in or out."""
    spec = policy.get("spec") or {}
    return (set(spec.get("policyTypes") or []) >= {"Ingress", "Egress"}
            and not spec.get("ingress") and not spec.get("egress"))


