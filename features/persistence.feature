@isolation @persistence
Feature: Nothing one evaluation leaves behind reaches the next
  Every evaluation starts from the same clean state: the files one writes in /tmp, its
  scratch directory or /dev/shm are gone when the next one starts, and so are the SysV
  IPC objects (shared memory, message queues, semaphores) it made: each evaluation has
  an IPC namespace of its own, which shares nothing with the host's either.

  Scenario: A file written in /tmp, the scratch directory or /dev/shm is invisible to the next evaluation
    When an evaluation leaves a file in each of these directories:
      | directory |
      | /tmp      |
      | .         |
      | /dev/shm  |
    And the next evaluation looks for them
    Then the next evaluation finds none of them

  Scenario: SysV shared memory, message queues and semaphores one evaluation leaves are invisible to the next
    When an evaluation leaves a shared memory segment, a message queue and a semaphore set
    And the next evaluation looks for them under the same keys
    Then the next evaluation finds none of those IPC objects

  @host
  Scenario: The host's SysV shared memory, message queues and semaphores are invisible
    Given SysV IPC objects of mine on the host, which the host can see
    When an evaluation looks for them under their keys
    Then the attempt is blocked
