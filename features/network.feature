@isolation @network
Feature: An evaluation has no network
  The sandbox has its own network namespace with only the loopback interface. Nothing
  outside it can be reached, not even the host's loopback. Every probe below targets
  a listener the suite itself opened on 127.0.0.1, and first checks that the host can
  reach it, so a refusal inside the sandbox means isolation, not a dead listener.

  Scenario: lo is the only network interface
    When an evaluation lists its network interfaces
    Then it sees no interface but lo

  Scenario: A TCP listener on the host's loopback cannot be reached
    Given a TCP listener of mine on the host's loopback, which the host can reach
    When an evaluation tries to connect to it
    Then the attempt is blocked

  Scenario: An HTTP server on the host's loopback cannot be reached
    Given an HTTP server of mine on the host's loopback, which the host can reach
    When an evaluation tries to fetch a page from it
    Then the attempt is blocked

  Scenario: Names cannot be resolved, not even by a DNS server on the host's loopback
    Given the evaluation's only network interface is lo
    And a DNS server of mine on the host's loopback, which the host can query
    When an evaluation tries to resolve "probe.acceptance.test" through the system resolver and through it
    Then the attempt is blocked

  @platform
  Scenario Outline: The platform's own <service> cannot be reached
    Given the platform's own <service> port, which the host can reach
    When an evaluation tries to connect to it
    Then the attempt is blocked

    Examples:
      | service    |
      | Redis      |
      | PostgreSQL |
      | API        |
