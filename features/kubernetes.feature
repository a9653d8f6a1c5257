@k8s
Feature: Evaluations run as Kubernetes Jobs under gVisor
  With the kubernetes executor, each evaluation is a batch/v1 Job in the evaluation
  namespace (K8S_NAMESPACE) under the gVisor runtime class, with the "restricted" Pod
  Security profile, no network, and a time to live. These scenarios read the cluster
  that KUBECONFIG points at; without it they are skipped.

  Scenario: An evaluation's Job carries its labels, runtime class and security context
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

  Scenario: A NetworkPolicy denies evaluation pods all traffic
    Then a NetworkPolicy in the evaluation namespace denies all traffic to and from pods labelled app=evaluation

  Scenario: The gVisor RuntimeClass exists
    Then the RuntimeClass "gvisor" exists with the handler "runsc"

  Scenario: The evaluation namespace enforces the restricted Pod Security Standard
    Then the evaluation namespace is labelled to enforce the "restricted" Pod Security Standard

  Scenario: Cancelling a running evaluation deletes its Job
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

  Scenario: No evaluation Job outlives its time to live
    When I run:
      """
      print("finished")
      """
    Then the evaluation completes
    And every evaluation Job has a time to live
    And no finished evaluation Job is still there past its time to live
