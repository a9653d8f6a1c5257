@state
Feature: Redis shows what is running, and nothing that is not
  While an evaluation runs, `eval:{id}:running` describes it and `running_evaluations`
  lists it. Within a second of its end, both are gone: a finished evaluation never
  lingers as "running".

  @severity-medium
  Scenario: A running evaluation has its running key and set membership
    When I submit:
      """
      import time
      time.sleep(2)
      """
    And the evaluation is running
    Then its running key names it, its worker, its executor, its start and its timeout
    And it is a member of the running set

  @severity-medium
  Scenario: A completed evaluation's running state is gone within a second
    When I submit:
      """
      import time
      time.sleep(1)
      """
    And the evaluation is running
    And the evaluation ends
    Then the evaluation completes
    And its running key and set membership are gone within 1 second of its end

  @severity-medium
  Scenario: A failed evaluation's running state is gone within a second
    When I submit:
      """
      import time
      time.sleep(1)
      raise RuntimeError("failing after a second")
      """
    And the evaluation is running
    And the evaluation ends
    Then the evaluation fails with reason "nonzero_exit"
    And its running key and set membership are gone within 1 second of its end

  @severity-medium @exclusive
  Scenario: The running set holds exactly what the API lists as running
    When I submit:
      """
      import time
      time.sleep(20)
      """
    And the evaluation is running
    Then the running set and the API's list of running evaluations agree, this one included
