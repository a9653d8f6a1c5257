"""What the kubelet, the scheduler and the Job controller say about one evaluation.

Small pure functions over client models, so each reading is unit-tested on its own and
the watch loop (jobrun.py) only decides what to do with them.
"""

from __future__ import annotations

from typing import Optional

from kubernetes import client as k8s

from evalplatform.executor.kubernetes.manifest import CONTAINER

# Waiting reasons that will not resolve by themselves: the evaluation fails at once
# with the kubelet's message instead of burning its start allowance. ErrImagePull is
# left out: the kubelet retries it once before it becomes ImagePullBackOff.
FATAL_WAITING = frozenset({
    "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
    "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
})
DEADLINE_EXCEEDED = "DeadlineExceeded"


def _main_status(pod: k8s.V1Pod) -> Optional[k8s.V1ContainerStatus]:
    for status in (pod.status and pod.status.container_statuses) or []:
        if status.name == CONTAINER:
            return status
    return None


def terminated(pod: k8s.V1Pod) -> Optional[k8s.V1ContainerStateTerminated]:
    """The main container's final state, once it has one."""
    status = _main_status(pod)
    return status.state.terminated if status and status.state else None


def running(pod: k8s.V1Pod) -> bool:
    status = _main_status(pod)
    return bool(status and status.state and status.state.running)


def fatal_waiting(pod: k8s.V1Pod) -> Optional[str]:
    """'Reason: message' when the container is stuck in a state that needs an operator."""
    status = _main_status(pod)
    waiting = status.state.waiting if status and status.state else None
    if waiting and waiting.reason in FATAL_WAITING:
        return f"{waiting.reason}: {waiting.message or 'no message'}"
    return None


def pod_failed_without_container(pod: k8s.V1Pod) -> Optional[str]:
    """A Pod that failed before its container ran (evicted, rejected by the node)."""
    status = pod.status
    if status and status.phase == "Failed" and terminated(pod) is None:
        return f"{status.reason or 'Failed'}: {status.message or 'no message'}"
    return None


def unschedulable(pod: k8s.V1Pod) -> Optional[str]:
    """The scheduler's message while it cannot place the Pod."""
    for condition in (pod.status and pod.status.conditions) or []:
        if condition.type == "PodScheduled" and condition.status == "False" and condition.reason == "Unschedulable":
            return condition.message or "Unschedulable"
    return None


def waiting_summary(pod: Optional[k8s.V1Pod]) -> str:
    """One line for a diagnosis: phase and the container's waiting reason."""
    if pod is None:
        return "no Pod yet"
    status = _main_status(pod)
    waiting = status.state.waiting if status and status.state else None
    phase = pod.status.phase if pod.status else "Unknown"
    return f"Pod {pod.metadata.name} {phase}" + (f", {waiting.reason}: {waiting.message or ''}" if waiting else "")


def job_failed(job: k8s.V1Job) -> Optional[tuple[str, str]]:
    """(reason, message) of the Job's Failed condition, e.g. ('DeadlineExceeded', ...)."""
    for condition in (job.status and job.status.conditions) or []:
        if condition.type == "Failed" and condition.status == "True":
            return condition.reason or "Failed", condition.message or ""
    return None
