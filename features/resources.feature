@isolation @resources
Feature: An evaluation cannot take more than its limits
  Each evaluation has a wall-clock timeout, a memory limit, a process limit, an output
  limit and a bounded scratch disk. Going past any of them ends that evaluation alone,
  with a reason that says which limit it hit, and leaves the platform as it was: the
  whole process tree is gone, the API answers, the next evaluation runs normally.
  The limits here are small (a timeout of 2 seconds, a memory limit of 64 MiB), so
  each scenario takes seconds.

  @host @slow @platform
  Scenario: The timeout kills the whole tree, a process that ignores SIGTERM and a double-forked daemon included
    When I submit code that ignores SIGTERM and leaves a double-forked daemon behind, with a timeout of 2 seconds
    And its processes are running on the host
    Then the logs view shows "ready" while the evaluation is still running
    And the evaluation fails with reason "timeout"
    And none of its processes is left on the host within 1 second

  @slow
  Scenario: A CPU-bound loop is stopped at its limit
    When I run, with a timeout of 2 seconds:
      """
      while True:
          pass
      """
    Then the evaluation fails with reason "timeout"
    And it was stopped at its limit of 2 seconds

  Scenario: Allocating past the memory limit fails with reason "memory"
    When I run, with a memory limit of "64Mi" and a timeout of 20 seconds:
      """
      held = []
      while True:
          held.append(bytearray(b"x") * (8 * 1024 * 1024))
      """
    Then the evaluation fails with reason "memory"

  @slow
  Scenario: A fork bomb is contained, and the next evaluation completes normally
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

  Scenario: An evaluation cannot start more processes than the platform's pids limit
    When an evaluation tries to start twice as many processes as the platform's pids limit
    Then the attempt is blocked

  @platform
  Scenario: An output flood is truncated, flagged and stored, and the API stays responsive meanwhile
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

  Scenario: Filling the scratch directory fails inside the sandbox
    When an evaluation tries to fill its scratch directory with twice the platform's scratch size
    Then the attempt is blocked

  @host @platform
  Scenario: Filling the scratch directory leaves the host's free space untouched
    Given the free space of the host's filesystems
    When an evaluation fills its scratch directory and holds it full
    Then the attempt is blocked
    And the host's free space did not shrink by what the evaluation wrote
