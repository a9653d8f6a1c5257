@state
Feature: An evaluation's lifecycle is recorded and observable
  submitted → queued → (provisioning →) running → completed | failed | cancelled.
  Every status change is published and stored, in order, and the API's views of an
  evaluation agree with each other.

  @severity-high
  Scenario: Submitting answers with the queued evaluation's id and place in the queue
    When I submit:
      """
      print("hello")
      """
    Then the answer holds the evaluation id, the status "queued", a message and a queue position

  @severity-medium
  Scenario: Each status change is published in order on the status channels
    Given I listen to the status channels
    When I run:
      """
      print("observed")
      """
    Then the channels carried submitted, queued, running, completed in that order
    And every message carries the evaluation id, its status, a reason and a time

  @severity-medium
  Scenario: Each status change is stored in order in evaluation_events
    When I run:
      """
      print("recorded")
      """
    Then evaluation_events holds submitted, queued, running, completed in that order
    And every stored move is one the contract allows

  @severity-medium
  Scenario: A failure's reason is published with its status
    Given I listen to the status channels
    When I run:
      """
      raise SystemExit(7)
      """
    Then the channel "evaluation:failed" carried the reason "nonzero_exit"

  @severity-low
  Scenario: Timestamps are ordered and the runtime agrees with them
    When I run:
      """
      import time
      time.sleep(0.3)
      """
    Then the evaluation completes
    And created_at, queued_at, started_at and completed_at are in order
    And runtime_ms is at least 300 and fits between started_at and completed_at

  @severity-medium
  Scenario: The whole record carries every field of the contract
    When I run:
      """
      print("complete record")
      """
    Then the record carries every field of the contract
    And the record shows the code, the language "python", the engine and the worker

  @severity-medium
  Scenario: The status view agrees with the record
    When I run:
      """
      print("status view")
      """
    Then the status view says "completed" and success is true

  @severity-medium
  Scenario: The status view of a failure says it did not succeed
    When I run:
      """
      raise SystemExit(1)
      """
    Then the status view says "failed" and success is false

  @severity-medium
  Scenario: The logs view of a finished evaluation holds its output and exit code
    When I run:
      """
      import sys
      print("to the log")
      print("and to stderr", file=sys.stderr)
      """
    Then the logs view shows the output "to the log", the error "and to stderr", exit code 0 and not running

  @streaming @severity-medium
  Scenario: The logs view shows the output so far while the code runs
    When I submit:
      """
      import time
      print("first part", flush=True)
      time.sleep(20)
      """
    Then the logs view shows "first part" while the evaluation is still running

  @severity-high
  Scenario: A completed evaluation is listed as completed, never as running
    When I run:
      """
      print("listed")
      """
    Then the evaluation completes
    And it is not listed under status "running"
    And it is listed under status "completed"

  @severity-medium @exclusive
  Scenario: Listing running evaluations lists exactly the running ones
    When I submit:
      """
      import time
      time.sleep(20)
      """
    And the evaluation is running
    Then every evaluation listed under status "running" is running, this one included

  @severity-medium @exclusive
  Scenario: The list of evaluations pages without gaps or overlaps
    Given at least 7 evaluations exist
    When I read the evaluations 2 at a time
    Then the pages hold distinct evaluations, newest first, and say when there are more
