@k8s
Feature: Evaluations run as Kubernetes Jobs under gVisor
  With the kubernetes executor, each evaluation is a batch/v1 Job in the evaluation
  namespace (K8S_NAMESPACE) under the gVisor runtime class, with the "restricted" Pod
  Security profile, no network, and a time to live. These scenarios read the cluster
  that KUBECONFIG points at; without it they are skipped.

  @severity-high
  Scenario: An evaluation's Job carries its labels, runtime class and security context
    Remediation: Create every evaluation Job with its labels, runtimeClassName: gvisor and a
    restricted securityContext (runAsNonRoot, no privilege escalation, all capabilities dropped,
    RuntimeDefault seccomp).
    When I submit:
      """
      import time
      print("running in a Job", flush=True)
      time.sleep(10)
      """
    And the evaluation is running
    Then the evaluation's Job carries the labels app=evaluation, eval-id and created-by
    And the evaluation's Job follows every rule of an evaluation Job
    And the evaluation's Job names the runtime class "gvisor"

  @severity-critical
  Scenario: A NetworkPolicy denies evaluation pods all traffic
    Remediation: Apply a deny-all ingress and egress NetworkPolicy to the evaluation pods' labels in
    their namespace (CWE-284).
    Then a NetworkPolicy in the evaluation namespace denies all traffic to and from pods labelled app=evaluation

  @severity-high
  Scenario: The gVisor RuntimeClass exists
    Remediation: Install gVisor on the nodes and create the RuntimeClass the Jobs name (handler
    runsc).
    Then the RuntimeClass "gvisor" exists with the handler "runsc"

  @severity-critical
  Scenario: The evaluation namespace enforces the restricted Pod Security Standard
    Remediation: Label the evaluation namespace pod-security.kubernetes.io/enforce=restricted so no
    pod there may run privileged (CWE-250).
    Then the evaluation namespace is labelled to enforce the "restricted" Pod Security Standard

  @severity-medium
  Scenario: Cancelling a running evaluation deletes its Job
    Remediation: Delete the evaluation's Job (propagationPolicy Background) when it is cancelled.
    When I submit:
      """
      import time
      print("waiting to be cancelled", flush=True)
      time.sleep(120)
      """
    And the evaluation is running
    And the evaluation's Job exists
    And I cancel the evaluation
    Then the evaluation reads "cancelled" with reason "cancelled"
    And the evaluation's Job is gone within 60 seconds

  @severity-medium
  Scenario: No evaluation Job outlives its time to live
    Remediation: Set ttlSecondsAfterFinished and activeDeadlineSeconds on every evaluation Job.
    When I run:
      """
      print("finished")
      """
    Then the evaluation completes
    And every evaluation Job has a time to live
    And no finished evaluation Job is still there past its time to live
