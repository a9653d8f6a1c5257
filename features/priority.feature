@queue @priority
Feature: Higher priority evaluations run first
  Priority is any integer of the contract's range; higher runs first, strictly across
  all values, and first come first served within one value. When every worker slot is
  busy, new evaluations wait, and the one with the highest priority is the next to start.

  @severity-low
  Scenario: The queue status reports its counts
    When I ask for the queue status
    Then it reports queued, running, completed, failed and cancelled counts, by priority, with workers and capacity

  @severity-medium @exclusive
  Scenario: A high priority evaluation submitted behind low ones starts first
    Given every worker slot is busy
    When I submit 5 evaluations of priority 0
    And I submit 1 evaluation of priority 10
    And the busy slots free up
    Then the priority 10 evaluation started before every priority 0 one

  @severity-medium @exclusive
  Scenario: Priorities far apart start strictly in their order
    Given every worker slot is busy
    When I submit 3 evaluations of priority 0
    And I submit 1 evaluation of priority 150
    And I submit 1 evaluation of priority 2000
    And the busy slots free up
    Then the priority 2000 evaluation started before the priority 150 one
    And the priority 150 evaluation started before every priority 0 one

  @severity-medium @exclusive
  Scenario: Evaluations of the same priority start in the order they were submitted
    Given every worker slot is busy
    When I submit 4 evaluations of priority 5
    And the busy slots free up
    Then the priority 5 evaluations started in the order they were submitted

  @severity-low @exclusive
  Scenario: The queue status counts the waiting evaluations by priority
    Given every worker slot is busy
    When I submit 2 evaluations of priority 3
    And I submit 1 evaluation of priority 7
    Then the queue status shows 2 waiting at priority 3 and 1 waiting at priority 7
