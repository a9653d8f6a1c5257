@environment
Feature: Imports and the environment inside an evaluation
  Code sees a working Python: its standard library, its own errors reported as
  errors, and the facts of its environment (interpreter version, its evaluation id).

  @severity-medium
  Scenario: The standard library imports and computes correctly
    When I run:
      """
      import math, json, collections, itertools, functools, re, datetime, decimal
      print(math.sqrt(16), json.dumps({"a": 1}), decimal.Decimal("0.1") + decimal.Decimal("0.2"))
      """
    Then the evaluation completes
    And the output is the line "4.0 {"a": 1} 0.3"

  @severity-medium
  Scenario: A caught import error still completes, with its message
    When I run:
      """
      try:
          import no_such_module_anywhere
      except ImportError as exc:
          print(f"caught: {exc}")
      """
    Then the evaluation completes
    And the output contains "caught: No module named 'no_such_module_anywhere'"

  @severity-medium
  Scenario: An uncaught missing module fails and says so
    When I run:
      """
      import no_such_module_anywhere
      """
    Then the evaluation fails with reason "nonzero_exit"
    And the error contains "ModuleNotFoundError: No module named 'no_such_module_anywhere'"

  @severity-medium
  Scenario: A syntax error fails with SyntaxError
    When I run:
      """
      def broken(:
          pass
      """
    Then the evaluation fails with reason "nonzero_exit"
    And the error contains "SyntaxError"

  @severity-low
  Scenario: A relative import fails gracefully
    When I run:
      """
      from . import sibling
      """
    Then the evaluation fails with reason "nonzero_exit"
    And the error contains "ImportError: attempted relative import with no known parent package"

  @severity-low
  Scenario: Multi-line and aliased imports work
    When I run:
      """
      from os.path import (
          join as path_join,
          basename,
      )
      import collections.abc as cabc
      print(path_join("a", basename("/x/b")), issubclass(list, cabc.Sequence))
      """
    Then the evaluation completes
    And the output is the line "a/b True"

  @severity-medium
  Scenario: A subprocess runs inside the sandbox
    When I run:
      """
      import subprocess, sys
      done = subprocess.run([sys.executable, "-c", "print('from a child', 6 * 7)"],
                            capture_output=True, text=True, check=True)
      print(done.stdout.strip())
      """
    Then the evaluation completes
    And the output is the line "from a child 42"

  @severity-medium
  Scenario: The code sees the interpreter version its environment promises
    When I run:
      """
      import platform
      print(platform.python_version())
      """
    Then the evaluation completes
    And the output is the python version the platform lists for "python"

  @severity-low
  Scenario: The code sees its own evaluation id as EVAL_ID
    When I run:
      """
      import os
      print(os.environ["EVAL_ID"])
      """
    Then the evaluation completes
    And the output is the line holding the evaluation's own id

  @severity-medium
  Scenario: numpy computes in the python-ml environment
    When I run in the "python-ml" environment:
      """
      import numpy as np
      print(f"Array mean: {np.array([1, 2, 3, 4, 5]).mean()}")
      """
    Then the evaluation completes
    And the output is the line "Array mean: 3.0"

  @severity-low
  Scenario: The environment is also accepted under its old name, executor_image
    When I run with executor_image "python-ml":
      """
      import numpy
      print("numpy", numpy.__version__)
      """
    Then the evaluation completes
    And the record names the environment "python-ml"
