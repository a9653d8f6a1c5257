@production
Feature: A production deployment meets the production requirements
  A deployment that runs untrusted code in production uses the gVisor engine,
  enforces network isolation and sets default limits, as it reports them at
  GET /api/platform. These scenarios run only when the run asks for production
  (REQUIRE_GVISOR=true or SUITE_PROFILE=production).

  Background:
    Given what the platform reports about itself

  @severity-critical
  Scenario: The sandbox engine is gVisor
    Remediation: Run production evaluations under gVisor (runsc): a user-space kernel between the
    code and the host's.
    Then the sandbox engine is "gvisor"

  @severity-critical
  Scenario: Network isolation is enforced
    Remediation: Run every evaluation in a network namespace of its own with no interface but lo
    (CWE-284).
    Then it reports network isolation among its capabilities

  @severity-high
  Scenario: Default limits are set
    Remediation: Configure default time, memory, pids and output limits for every evaluation that
    asks for none (CWE-770).
    Then it reports a default timeout, a memory limit and an output limit
