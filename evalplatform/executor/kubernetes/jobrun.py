"""One evaluation as one Job: create, watch, collect, clean up. Never leaves a Job behind.

The Job's name is chosen here, before anything is sent, so every path out of `run`
(success, failure, cancel, an exception, a create whose answer was lost) knows what to
delete. The `finally` deletes the Job (foreground: its Pod goes first) and its ConfigMap
unless the Job finished on its own and its log was read; such a Job is left to
`ttlSecondsAfterFinished` so an operator can still look at it.

Cancellation is checked before the create, right after it (a cancel racing creation),
and on every poll. Status comes from polling the Job and its Pod at
`k8s_poll_interval_s`: a poll cannot lose events the way a dropped watch can, and one
evaluation costs two small GETs a second.
"""

from __future__ import annotations

import time
from typing import Callable, Optional

from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from evalplatform import contract
from evalplatform.executor.kubernetes import outcome, podstate
from evalplatform.executor.kubernetes.client import Apis
from evalplatform.executor.kubernetes.follow import LogFollower
from evalplatform.executor.kubernetes.logs import split_log
from evalplatform.executor.kubernetes.manifest import CONTAINER, JobPlan, eval_label, plan_job
from evalplatform.run import OutputCallback, RunRequest, RunResult
from evalplatform.settings import Settings

REQUEST_TIMEOUT = (5.0, 30.0)     # (connect, read) of every API call: a hung server cannot hang a worker
LOG_DRAIN_S = 10.0                # after the container ended, how long the log stream may take to close
FOREGROUND = k8s.V1DeleteOptions(propagation_policy="Foreground", grace_period_seconds=0)


def eval_selector(eval_id: str) -> str:
    return f"app=evaluation,eval-id={eval_label(eval_id)}"


def delete_eval_jobs(apis: Apis, namespace: str, eval_id: str) -> int:
    """Delete every Job of an evaluation (any attempt), foreground. Returns how many there were."""
    jobs = apis.batch.list_namespaced_job(namespace, label_selector=eval_selector(eval_id),
                                          _request_timeout=REQUEST_TIMEOUT).items
    for job in jobs:
        _delete_ignoring_absent(apis.batch.delete_namespaced_job, job.metadata.name, namespace)
    return len(jobs)


def _delete_ignoring_absent(delete: Callable, name: str, namespace: str) -> None:
    try:
        delete(name, namespace, body=FOREGROUND, _request_timeout=REQUEST_TIMEOUT)
    except ApiException as exc:
        if exc.status != 404:
            raise


class JobRun:
    def __init__(self, apis: Apis, settings: Settings, request: RunRequest,
                 on_output: Optional[OutputCallback], cancelled: Callable[[], bool]):
        self.apis, self.settings, self.request = apis, settings, request
        self.on_output, self.cancelled = on_output, cancelled
        self.started = time.monotonic()
        self.keep_job = False
        self.follower: Optional[LogFollower] = None

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def run(self) -> RunResult:
        try:
            plan = plan_job(self.request, self.settings)
        except ValueError as exc:                       # CodeTooLarge, unknown environment
            return outcome.failure(contract.REASON_REJECTED, str(exc))
        if self.cancelled():
            return outcome.failure(contract.REASON_KILLED, "cancelled before the Job was created")
        try:
            # A Job left by an earlier attempt (a lost worker) must not run beside this one.
            delete_eval_jobs(self.apis, plan.namespace, self.request.run_id)
            self._create(plan)
            return self._watch(plan)
        except ApiException as exc:
            if self.cancelled():    # kill() deleted the Job under us
                return outcome.failure(contract.REASON_KILLED, "cancelled", self.elapsed_ms())
            return outcome.failure(contract.REASON_SANDBOX_ERROR,
                                   f"kubernetes API: {exc.status} {exc.reason}: {(exc.body or '')[:500]}",
                                   self.elapsed_ms())
        except Exception as exc:  # noqa: BLE001 - network errors, timeouts: reported, Job cleaned up
            return outcome.failure(contract.REASON_SANDBOX_ERROR,
                                   f"kubernetes API: {type(exc).__name__}: {exc}", self.elapsed_ms())
        finally:
            if not self.keep_job:
                self._cleanup(plan)

    def _create(self, plan: JobPlan) -> None:
        """ConfigMap first (the Pod mounts it), then the Job, then the ConfigMap is made the
        Job's dependent so the garbage collector removes it with the Job (TTL included)."""
        self.apis.core.create_namespaced_config_map(plan.namespace, plan.configmap,
                                                    _request_timeout=REQUEST_TIMEOUT)
        job = self.apis.batch.create_namespaced_job(plan.namespace, plan.job, _request_timeout=REQUEST_TIMEOUT)
        owner = k8s.V1OwnerReference(api_version="batch/v1", kind="Job", name=job.metadata.name,
                                     uid=job.metadata.uid, block_owner_deletion=False)
        self.apis.core.patch_namespaced_config_map(plan.name, plan.namespace,
                                                   {"metadata": {"ownerReferences": [owner]}},
                                                   _request_timeout=REQUEST_TIMEOUT)

    def _cleanup(self, plan: JobPlan) -> None:
        for delete in (self.apis.batch.delete_namespaced_job, self.apis.core.delete_namespaced_config_map):
            try:
                _delete_ignoring_absent(delete, plan.name, plan.namespace)
            except Exception:  # noqa: BLE001 - the Job's own deadline and TTL still end it
                pass

    def _pods(self, plan: JobPlan) -> Optional[k8s.V1Pod]:
        pods = self.apis.core.list_namespaced_pod(plan.namespace, label_selector=f"job-name={plan.name}",
                                                  _request_timeout=REQUEST_TIMEOUT).items
        return pods[0] if pods else None    # backoffLimit 0: the Job makes one Pod

    def _watch(self, plan: JobPlan) -> RunResult:
        settings = self.settings
        start_by = self.started + settings.k8s_start_timeout_s
        give_up_at = start_by + plan.request.limits.timeout_s + LOG_DRAIN_S
        while True:
            if self.cancelled():
                return outcome.failure(contract.REASON_KILLED, "cancelled", self.elapsed_ms())
            job = self.apis.batch.read_namespaced_job(plan.name, plan.namespace, _request_timeout=REQUEST_TIMEOUT)
            pod = self._pods(plan)
            job_failure = podstate.job_failed(job)
            if pod is not None:
                if podstate.terminated(pod) is not None:
                    return self._collect(plan, pod, job_failure)
                stuck = podstate.fatal_waiting(pod) or podstate.pod_failed_without_container(pod)
                if stuck:
                    return outcome.failure(contract.REASON_SANDBOX_ERROR, f"kubernetes: {stuck}", self.elapsed_ms())
                if podstate.running(pod) and self.follower is None:
                    self.follower = LogFollower(self.apis, plan.namespace, pod.metadata.name,
                                                self.on_output, (REQUEST_TIMEOUT[0], give_up_at - time.monotonic()))
            if job_failure:
                return self._ended_without_container(plan, pod, job_failure)
            now = time.monotonic()
            if self.follower is None and now > start_by:
                return self._never_started(pod)
            if now > give_up_at:
                return outcome.failure(contract.REASON_TIMEOUT, "no final state from the cluster in time",
                                       self.elapsed_ms())
            time.sleep(settings.k8s_poll_interval_s)

    def _never_started(self, pod: Optional[k8s.V1Pod]) -> RunResult:
        waited = f"after {self.settings.k8s_start_timeout_s}s"
        message = pod is not None and podstate.unschedulable(pod)
        if message:
            return outcome.failure(contract.REASON_REJECTED, f"kubernetes: unschedulable {waited}: {message}",
                                   self.elapsed_ms())
        return outcome.failure(contract.REASON_SANDBOX_ERROR,
                               f"kubernetes: not running {waited}: {podstate.waiting_summary(pod)}",
                               self.elapsed_ms())

    def _ended_without_container(self, plan: JobPlan, pod: Optional[k8s.V1Pod],
                                 job_failure: tuple[str, str]) -> RunResult:
        """The Job failed while its container had no final state (deadline hit, Pod deleted)."""
        reason, message = job_failure
        if reason == podstate.DEADLINE_EXCEEDED:
            result = outcome.failure(contract.REASON_TIMEOUT, f"kubernetes: {reason}: {message}", self.elapsed_ms())
            result.stdout = split_log(self._read_log(plan, pod)).stdout.decode("utf-8", "replace")[:plan.request.limits.stdout_bytes]
            return result
        return outcome.failure(contract.REASON_SANDBOX_ERROR, f"kubernetes: Job failed: {reason}: {message}",
                               self.elapsed_ms())

    def _read_log(self, plan: JobPlan, pod: Optional[k8s.V1Pod]) -> bytes:
        if self.follower is not None and self.follower.wait(LOG_DRAIN_S):
            return self.follower.raw
        if pod is None:
            return b""
        try:
            response = self.apis.core.read_namespaced_pod_log(pod.metadata.name, plan.namespace, container=CONTAINER,
                                                              _preload_content=False, _request_timeout=REQUEST_TIMEOUT)
            return response.data
        except ApiException as exc:
            if exc.status in (400, 404):   # the Pod or its container is gone: nothing to read
                return b""
            raise

    def _collect(self, plan: JobPlan, pod: k8s.V1Pod, job_failure: Optional[tuple[str, str]]) -> RunResult:
        log = split_log(self._read_log(plan, pod))
        self.keep_job = True    # finished on its own, log read: the TTL removes it
        return outcome.from_finished(log, podstate.terminated(pod), job_failure, self.elapsed_ms(),
                                     plan.request.limits)
