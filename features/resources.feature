@isolation @resources
Feature: An evaluation cannot take more than its limits
  Each evaluation has a wall-clock timeout, a memory limit, a process limit, an output
  limit and a bounded scratch disk. Going past any of them ends that evaluation alone,
  with a reason that says which limit it hit, and leaves the platform as it was: the
  whole process tree is gone, the API answers, the next evaluation runs normally.
  The limits here are small (a timeout of 2 seconds, a memory limit of 64 MiB), so
  each scenario takes seconds.

  @host @slow @platform @severity-high
  Scenario: The timeout kills the whole tree, a process that ignores SIGTERM and a double-forked daemon included
    Remediation: Kill the evaluation's whole process group and cgroup (SIGKILL after the grace
    period), not just its first process: a daemon that survives keeps running untrusted code
    (CWE-404).
    When I submit code that ignores SIGTERM and leaves a double-forked daemon behind, with a timeout of 2 seconds
    And its processes are running on the host
    Then the logs view shows "ready" while the evaluation is still running
    And the evaluation fails with reason "timeout"
    And none of its processes is left on the host within 1 second

  @slow @severity-high
  Scenario: A CPU-bound loop is stopped at its limit
    Remediation: Enforce the CPU time limit (RLIMIT_CPU or a cgroup cpu.max and the wall-clock
    timeout) on every evaluation (CWE-400).
    When I run, with a timeout of 2 seconds:
      """
      while True:
          pass
      """
    Then the evaluation fails with reason "timeout"
    And it was stopped at its limit of 2 seconds

  @severity-high
  Scenario: Allocating past the memory limit fails with reason "memory"
    Remediation: Set the memory limit in the evaluation's cgroup (memory.max) or RLIMIT_AS, and
    report the kill as reason "memory" (CWE-400, CWE-770).
    When I run, with a memory limit of "64Mi" and a timeout of 20 seconds:
      """
      held = []
      while True:
          held.append(bytearray(b"x") * (8 * 1024 * 1024))
      """
    Then the evaluation fails with reason "memory"

  @slow @severity-high
  Scenario: A fork bomb is contained, and the next evaluation completes normally
    Remediation: Cap the number of processes per evaluation (pids.max in its cgroup, or RLIMIT_NPROC
    with a uid of its own) so a fork bomb stops at the limit and the host keeps serving (CWE-400).
    When I run, with a timeout of 2 seconds:
      """
      import os, time
      while True:
          try:
              os.fork()
          except OSError:
              time.sleep(0.05)
      """
    Then the evaluation fails with reason "timeout"
    When I run:
      """
      print("after the fork bomb")
      """
    Then the evaluation completes
    And the output is the line "after the fork bomb"

  @severity-high
  Scenario: An evaluation cannot start more processes than the platform's pids limit
    Remediation: Apply the pids limit the platform reports to each evaluation's cgroup (pids.max)
    (CWE-770).
    When an evaluation tries to start twice as many processes as the platform's pids limit
    Then the attempt is blocked

  @platform @severity-medium
  Scenario: An output flood is truncated, flagged and stored, and the API stays responsive meanwhile
    Remediation: Cap what the platform reads and stores of an evaluation's output, flag it as
    truncated, and read it without blocking the API (CWE-770).
    When I submit:
      """
      import sys, time
      chunk = "flood " * 10000 + "\n"
      while True:
          sys.stdout.write(chunk)
          sys.stdout.flush()
          time.sleep(0.05)
      """
    And I keep asking the API for the evaluation's logs and the queue's status until it ends
    Then the evaluation fails with reason "output_limit"
    And the stored output is flagged as truncated, holds at most the platform's output limit, and is what the code wrote
    And the API answered every one of those requests, some while the evaluation was running

  @severity-medium
  Scenario: Filling the scratch directory fails inside the sandbox
    Remediation: Size-limit the scratch directory (a tmpfs with size=, or a quota) (CWE-400).
    When an evaluation tries to fill its scratch directory with twice the platform's scratch size
    Then the attempt is blocked

  @host @platform @severity-high
  Scenario: Filling the scratch directory leaves the host's free space untouched
    Remediation: Back the scratch directory with a size-limited tmpfs or quota, never with the
    host's own disk without a limit: a full host disk stops the platform (CWE-400).
    Given the free space of the host's filesystems
    When an evaluation fills its scratch directory and holds it full
    Then the attempt is blocked
    And the host's free space did not shrink by what the evaluation wrote
