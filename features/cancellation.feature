@cancellation
Feature: Cancelling an evaluation
  A queued evaluation that is cancelled never runs. A running one is stopped, its
  whole process tree killed. A finished one is left as it was. "Never runs" is judged
  from outside the store too: what a user sees (the running set, the live log, the
  status channels) never shows it running.

  @severity-high @exclusive
  Scenario: A queued evaluation that is cancelled never runs
    Given every worker slot is busy
    When I submit:
      """
      import time
      print("this must never run", flush=True)
      time.sleep(1)
      """
    And I cancel the evaluation
    Then the evaluation reads "cancelled" with reason "cancelled"
    When I watch the running set, its live log and the status channels for it
    And the busy slots free up
    And the workers have moved past it
    Then the evaluation never started
    And it was never seen running, nor its output in the live log

  @severity-high
  Scenario: A running evaluation that is cancelled reads cancelled at once
    When I submit:
      """
      import time
      print("started", flush=True)
      time.sleep(20)
      """
    And the evaluation is running
    And I cancel the evaluation
    Then the evaluation reads "cancelled" within 1 second
    When no worker holds its task any more
    Then the evaluation reads "cancelled" with reason "cancelled"
    And every stored move is one the contract allows

  @host @severity-high
  Scenario: A running evaluation that is cancelled leaves no process behind
    When I submit:
      """
      import subprocess, sys, time
      subprocess.Popen([sys.executable, "-c", "import time; time.sleep(20)"])
      time.sleep(20)
      """
    And the evaluation is running
    And its processes are running on the host
    And I cancel the evaluation
    Then none of its processes is left on the host within 3 seconds

  @severity-medium
  Scenario: Cancelling a completed evaluation leaves it unchanged
    When I run:
      """
      print("done before the cancel")
      """
    And I cancel the evaluation
    Then the cancel is refused, answering the unchanged status "completed"
    And the record is unchanged

  @severity-medium
  Scenario: Cancelling an evaluation that does not exist answers 404
    When I cancel an evaluation that does not exist
    Then the answer is 404

  @severity-high @exclusive
  Scenario: A cancel that races the end of a run leaves exactly one terminal status
    When I submit 30 short evaluations and then cancel each of them, the last submitted first
    Then each ends in one terminal status, the one its cancel answered
    And some of them were cancelled and some had completed
    And none of them keeps a running key or a place in the running set
