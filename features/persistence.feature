@isolation @persistence
Feature: Nothing one evaluation leaves behind reaches the next
  Every evaluation starts from the same clean state: the files one writes in /tmp, its
  scratch directory or /dev/shm are gone when the next one starts, and so are the SysV
  IPC objects (shared memory, message queues, semaphores) it made: each evaluation has
  an IPC namespace of its own, which shares nothing with the host's either.

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

  @severity-high
  Scenario: SysV shared memory, message queues and semaphores one evaluation leaves are invisible to the next
    Remediation: Give every evaluation an IPC namespace of its own (CLONE_NEWIPC), so its SysV
    objects die with it (CWE-668).
    When an evaluation leaves a shared memory segment, a message queue and a semaphore set
    And the next evaluation looks for them under the same keys
    Then the next evaluation finds none of those IPC objects

  @host @severity-high
  Scenario: The host's SysV shared memory, message queues and semaphores are invisible
    Remediation: Never run an evaluation in the host's IPC namespace (CLONE_NEWIPC) (CWE-668).
    Given SysV IPC objects of mine on the host, which the host can see
    When an evaluation looks for them under their keys
    Then the attempt is blocked
