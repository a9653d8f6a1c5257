@chaos @slow
Feature: Faults in the platform's own processes lose no evaluation
  A worker dies mid-run, Redis or PostgreSQL restarts, the API process restarts, the
  queue fills up: every evaluation still ends in a terminal status, none is lost, and
  a client is told "503, retry later" instead of being left hanging.

  Each scenario runs on a platform of its own (an embedded stack the scenario starts,
  sized by its first steps), because a fault would otherwise spill into the next
  scenario. Against an external deployment these scenarios are skipped: the suite can
  only break processes it started itself.

  @severity-high
  Scenario: A worker killed while it runs an evaluation loses nothing
    Given a platform of its own with 2 workers of 1 slot each
    When I submit:
      """
      import time
      time.sleep(4)
      print("survived")
      """
    And the evaluation is running
    And the sandbox of the evaluation is running on the host
    And the worker running it is killed with SIGKILL
    Then it ends within its timeout plus the platform's grace: completed after a re-queue, or failed with reason "worker_lost"
    And none of the killed run's sandbox processes is left on the host
    When I run:
      """
      print("after the crash")
      """
    Then the evaluation completes

  @severity-high
  Scenario: The only worker, killed while it runs an evaluation, is replaced and the next evaluation runs
    Given a platform of its own with 1 worker of 1 slot each
    When I submit:
      """
      import time
      time.sleep(3)
      print("survived")
      """
    And the evaluation is running
    And the worker running it is killed with SIGKILL
    Then it ends within its timeout plus the platform's grace: completed after a re-queue, or failed with reason "worker_lost"
    And the platform's health shows the worker restarted
    When I run:
      """
      print("after the only worker died")
      """
    Then the evaluation completes

  @severity-high
  Scenario: A worker that dies after taking an evaluation, before starting it, loses nothing
    Given a platform of its own with 1 worker of 1 slot each
    When I submit:
      """
      import time
      time.sleep(6)
      """
    And the evaluation is running
    And I submit, with a timeout of 5 seconds:
      """
      print("taken by a worker that died")
      """
    And a worker takes it from the queue and dies before starting it
    Then it ends within its timeout plus the platform's grace: completed, or failed with reason "worker_lost"

  @severity-high
  Scenario: Redis restarted while evaluations run and wait: 503 meanwhile, nothing lost after
    Given a platform of its own with 1 worker of 1 slot each
    When I submit:
      """
      import time
      time.sleep(5)
      print("ran through the restart")
      """
    And the evaluation is running
    And I submit 4 evaluations at once, each running:
      """
      print("waited in the broker")
      """
    And Redis stops
    Then a submission is answered 503 with a Retry-After header
    And the evaluation still reads "running"
    When Redis starts again
    Then Redis came back as a new server without persistence: the broker's queued messages are gone
    And every evaluation the scenario submitted completes, none lost
    And a submission is accepted
    And every evaluation the scenario submitted completes, none lost

  @severity-high
  Scenario: PostgreSQL restarted under load: no record lost, none left unfinished
    Given a platform of its own with 2 workers of 1 slot each
    When I submit 8 evaluations at once, each running:
      """
      import time
      time.sleep(0.5)
      print("done")
      """
    And PostgreSQL stops
    Then a submission is answered 503 with a Retry-After header
    When PostgreSQL starts again
    Then every evaluation the scenario submitted completes, none lost

  @severity-high
  Scenario: The API process restarted: submitted evaluations carry on and the new API serves them
    Given a platform of its own with 1 worker of 1 slot each
    When I submit 3 evaluations at once, each running:
      """
      import time
      time.sleep(1)
      print("done")
      """
    And the API process restarts
    Then every evaluation the scenario submitted completes, none lost
    And a submission is accepted
    And every evaluation the scenario submitted completes, none lost

  @severity-medium
  Scenario: A full queue answers 503 with Retry-After, and accepts again once drained
    Given a platform of its own with 1 worker of 1 slot each
    And its queue holds at most 3 waiting evaluations
    When I submit:
      """
      import time
      time.sleep(4)
      """
    And the evaluation is running
    And I submit 3 evaluations at once, each running:
      """
      print("waiting")
      """
    Then a submission is answered 503 with a Retry-After header
    When the queue has drained
    Then a submission is accepted
    And every evaluation the scenario submitted completes, none lost

  @severity-medium
  Scenario: Health reports a stopped Redis as degraded, and ok once it is back
    Given a platform of its own with 1 worker of 1 slot each
    When Redis stops
    Then within 5 seconds the API reports "degraded" with 503, redis not "ok"
    When Redis starts again
    Then within 10 seconds the API reports "ok" with 200 for every service
