@production
Feature: A production deployment meets the production requirements
  A deployment that runs untrusted code in production uses the gVisor engine,
  enforces network isolation and sets default limits, as it reports them at
  GET /api/platform. These scenarios run only when the run asks for production
  (REQUIRE_GVISOR=true or SUITE_PROFILE=production).

  Scenario: The sandbox engine is gVisor
    When I read what the platform reports about itself
    Then the sandbox engine is "gvisor"

  Scenario: Network isolation is enforced
    When I read what the platform reports about itself
    Then it reports network isolation among its capabilities

  Scenario: Default limits are set
    When I read what the platform reports about itself
    Then it reports a default timeout, a memory limit and an output limit
