@isolation @network
Feature: An evaluation has no network
  The sandbox has its own network namespace with only the loopback interface. Nothing
  outside it can be reached, not even the host's loopback. Every probe below targets
  a listener the suite itself opened on 127.0.0.1, and first checks that the host can
  reach it, so a refusal inside the sandbox means isolation, not a dead listener.

  @severity-critical
  Scenario: lo is the only network interface
    Remediation: Run every evaluation in a network namespace of its own with no interface but lo
    (nsjail/bwrap --unshare-net, gVisor --network=none, a deny-all NetworkPolicy on Kubernetes); any
    other interface is a route out (CWE-284).
    When an evaluation lists its network interfaces
    Then it sees no interface but lo

  @severity-critical
  Scenario: A TCP listener on the host's loopback cannot be reached
    Remediation: Unshare the network namespace: the host's loopback services (Redis, PostgreSQL, the
    API) must be out of reach, or code can speak to them from inside (CWE-918).
    Given a TCP listener of mine on the host's loopback, which the host can reach
    When an evaluation tries to connect to it
    Then the attempt is blocked

  @severity-critical
  Scenario: An HTTP server on the host's loopback cannot be reached
    Remediation: Unshare the network namespace: an HTTP service on the host's loopback (metadata,
    admin or the platform's own API) must be out of reach (CWE-918).
    Given an HTTP server of mine on the host's loopback, which the host can reach
    When an evaluation tries to fetch a page from it
    Then the attempt is blocked

  @severity-critical
  Scenario: Names cannot be resolved, not even by a DNS server on the host's loopback
    Remediation: Give the sandbox no resolver: no reachable DNS server and an empty
    /etc/resolv.conf; DNS is an exfiltration channel out of an otherwise closed network (CWE-200).
    Given the evaluation's only network interface is lo
    And a DNS server of mine on the host's loopback, which the host can query
    When an evaluation tries to resolve "probe.acceptance.test" through the system resolver and through it
    Then the attempt is blocked

  @platform @severity-critical
  Scenario Outline: The platform's own <service> cannot be reached
    Remediation: Keep the platform's own services (Redis, PostgreSQL, the broker, the API) on no
    network the sandbox can reach, and require credentials on each (CWE-306).
    Given the platform's own <service> port, which the host can reach
    When an evaluation tries to connect to it
    Then the attempt is blocked

    Examples:
      | service    |
      | Redis      |
      | PostgreSQL |
      | API        |
