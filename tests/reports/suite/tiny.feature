@tiny
Feature: Tiny gate
  A suite of its own for the report tests: one scenario of each outcome.

  @severity-critical
  Scenario: A passing scenario
    Given a number 1
    Then the number is 1

  @severity-high @isolation
  Scenario: A failing scenario
    The descriptor promise, failing on purpose.
    Remediation: close every host descriptor before exec (CWE-403, runc CVE-2024-21626).
    Given a number 2
    Then the number is 3
    And the number is 2

  @severity-medium @needs-gpu
  Scenario: A skipped scenario
    Given a number 1
    Then the number is 1

  @severity-high
  Scenario: A waived scenario
    Given a number 5
    Then the number is 6

  @severity-low
  Scenario: A failing low scenario
    Given a number 7
    Then the number is 8

  @severity-medium @profile-gap
  Scenario: A scenario the profile waives
    Given a number 9
    Then the number is 10

  @severity-low @broken-target
  Scenario: A scenario whose target is gone
    Given a number 11
    Then the number is 11
