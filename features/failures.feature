@failures
Feature: Failing code fails fast, with everything it said
  `completed` means the code ran and exited 0. Anything else that ran is `failed`,
  with a machine-readable reason and every byte the code wrote, however fast it died.

  @severity-high
  Scenario: Code that exits 0 completes
    When I run:
      """
      print(1)
      """
    Then the evaluation completes
    And the output is the line "1"
    And the exit code is 0

  @severity-high
  Scenario: An exception after some output fails, keeping both
    When I run:
      """
      print("Before error")
      1 / 0
      """
    Then the evaluation fails with reason "nonzero_exit"
    And the output contains "Before error"
    And the error contains "ZeroDivisionError"

  @severity-high
  Scenario: stdout and stderr are captured, and kept apart
    When I run:
      """
      import sys
      print("to stdout")
      print("to stderr", file=sys.stderr)
      """
    Then the evaluation completes
    And the output is the line "to stdout"
    And the error is the line "to stderr"

  @severity-high
  Scenario Outline: sys.exit(<code>) fails with exit code <code>
    When I run:
      """
      import sys
      sys.exit(<code>)
      """
    Then the evaluation fails with reason "nonzero_exit"
    And the exit code is <code>

    Examples:
      | code |
      | 1    |
      | 42   |
      | 255  |

  @severity-high
  Scenario: Output written just before os._exit is all captured
    When I run:
      """
      import os, sys
      for i in range(2000):
          print(f"line {i}")
      print("last words", file=sys.stderr)
      sys.stdout.flush(); sys.stderr.flush()
      os._exit(3)
      """
    Then the evaluation fails with reason "nonzero_exit"
    And the exit code is 3
    And the output holds the 2000 lines "line 0" to "line 1999" in order
    And the error is the line "last words"

  @severity-medium
  Scenario: Output without a final newline is kept exactly
    When I run:
      """
      import sys
      sys.stdout.write("no newline, no flush")
      sys.exit(0)
      """
    Then the evaluation completes
    And the output is exactly "no newline, no flush"

  @severity-medium
  Scenario: Unicode in the code and in its output is kept exactly
    When I run:
      """
      print("ünïcødé ✓ 😀")
      """
    Then the evaluation completes
    And the output is the line "ünïcødé ✓ 😀"

  @severity-high
  Scenario: A process that SIGKILLs itself reports signal 9
    When I run:
      """
      import os, signal
      print("about to die", flush=True)
      os.kill(os.getpid(), signal.SIGKILL)
      """
    Then the evaluation fails
    And the signal is 9
    And the output contains "about to die"

  @severity-high
  Scenario: Twenty fast failures at once all end failed, none left running
    When I submit 20 evaluations at once, each running:
      """
      import sys
      print("failing fast")
      sys.exit(1)
      """
    Then every one of them fails with reason "nonzero_exit", keeping its output
    And none of them is listed as running
