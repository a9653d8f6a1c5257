@load
Feature: The platform loses nothing under concurrent load
  Many clients submit at once: every evaluation ends in a terminal status with the
  outcome its code asked for, none is lost and none stays running. Each records when it
  was created, started and ended, so the throughput and latency percentiles shown in the
  terminal report are the platform's own figures; they are measured, not asserted.

  @severity-high
  Scenario: A burst of concurrent submissions all end, none lost
    When I submit the configured load at once: fast, slow, failing, timing out and flooding output
    Then every one of them ends with the outcome its code asked for
    And none of them is listed as running
    And each of them recorded when it was created, started and ended, in that order
