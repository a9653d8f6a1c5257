@production
Feature: A production deployment meets the production requirements
  A deployment that runs untrusted code in production uses the gVisor engine,
  enforces network isolation and sets default limits, as it reports them at
  GET /api/platform. These scenarios run only when the run asks for production
  (REQUIRE_GVISOR=true or SUITE_PROFILE=production).

  Background:
    Given what the platform reports about itself

  Scenario: The sandbox engine is gVisor
    Then the sandbox engine is "gvisor"

  Scenario: Network isolation is enforced
    Then it reports network isolation among its capabilities

  Scenario: Default limits are set
    Then it reports a default timeout, a memory limit and an output limit
