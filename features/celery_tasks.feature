@queue
Feature: Celery tasks run on the platform's workers
  Clients may talk to the workers directly through the broker, by task name. The
  workers answer health checks, run stored evaluations, and track each task's state.

  @severity-medium
  Scenario: The health check task answers with the worker's name
    When I send the "health_check" task through the broker
    Then the task answers "healthy"
    And the answer names a worker that answers pings

  @severity-medium
  Scenario: Several tasks in a row all succeed
    When I send the "health_check" task 5 times, one after the other
    Then every one of them answers "healthy"

  @severity-high
  Scenario: A stored evaluation runs when its task is sent through the broker
    Given a stored evaluation that no worker has been asked to run:
      """
      print("run by a task sent through the broker")
      """
    When I send its "evaluate_code" task through the broker
    Then the task succeeds
    And the evaluation completes
    And the output is the line "run by a task sent through the broker"

  @severity-medium
  Scenario: A task's state is tracked from PENDING through STARTED to SUCCESS
    Given a stored evaluation that no worker has been asked to run:
      """
      import time
      time.sleep(0.5)
      """
    When I follow the states of its "evaluate_code" task
    Then the task went through the states PENDING, STARTED, SUCCESS in that order
