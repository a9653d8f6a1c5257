@isolation @persistence
Feature: Nothing one evaluation leaves behind reaches the next
  Every evaluation starts from the same clean state: the files one writes in /tmp, its
  scratch directory or /dev/shm are gone when the next one starts.

  @severity-critical
  Scenario: A file written in /tmp, the scratch directory or /dev/shm is invisible to the next evaluation
    Remediation: Give every evaluation a fresh /tmp, scratch directory and /dev/shm (a new tmpfs per
    run) and remove them at its end: nothing may pass from one user's run to the next (CWE-226).
    When an evaluation leaves a file in each of these directories:
      | directory |
      | /tmp      |
      | .         |
      | /dev/shm  |
    And the next evaluation looks for them
    Then the next evaluation finds none of them
