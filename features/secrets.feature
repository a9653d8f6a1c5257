@isolation @secrets
Feature: Nothing of the platform's secrets or configuration reaches the code
  What deepce, botb, CDK and kube-hunter look for first: credentials in the environment
  (the code's own, and /proc/1/environ), configuration and data files, the unix sockets
  of the host's services, and a Kubernetes service-account token.

  @severity-critical
  Scenario: The environment holds nothing of the platform's, and neither does /proc/1/environ
    Remediation: Start the code with an empty, explicit environment (no inherited variables), and in
    a PID namespace where /proc/1 is its own: the platform's URLs and credentials must not reach it
    (CWE-526).
    When an evaluation searches every environment it can read for the platform's names and addresses
    Then it finds nothing of the platform's

  @severity-critical
  Scenario: Well-known credential and configuration files are invisible
    Remediation: Bind no host credential or configuration file (.ssh, .aws, .kube, .docker, .netrc,
    .git-credentials) into the sandbox; build its filesystem from the environment image only
    (CWE-552).
    When an evaluation looks for these paths:
      | path                      |
      | /etc/shadow               |
      | /etc/gshadow              |
      | /etc/postgresql           |
      | /etc/redis                |
      | /var/lib/postgresql       |
      | /var/lib/redis            |
      | /root/.pgpass             |
      | /root/.ssh                |
      | /root/.kube               |
      | /root/.docker/config.json |
      | /root/.aws                |
      | /run/secrets              |
      | /home                     |
    Then the attempt is blocked

  @host @platform @severity-critical
  Scenario: The platform's own files are invisible: the project, its .env files, the stack's data, logs and sockets
    Remediation: Keep the platform's project, .env files, data, logs and sockets out of every mount
    the sandbox gets (CWE-552).
    Given the platform's own files on the host, which the host can see
    When an evaluation looks for those files
    Then the attempt is blocked

  @severity-critical
  Scenario: No unix socket is visible where services keep them
    Remediation: Bind no directory that holds service sockets (/run, /var/run, /tmp of the host)
    into the sandbox: a docker.sock or database socket is a way out (CWE-668).
    When an evaluation looks for unix sockets and tries to connect to them
    Then the attempt is blocked

  @host @severity-critical
  Scenario: No unix socket of a host service is visible or reachable
    Remediation: Bind no host socket and unshare the network namespace (abstract unix sockets live
    in it): host services must be unreachable (CWE-668).
    Given the host's unix sockets: the platform's own, one of mine on the filesystem and one of mine in the abstract namespace, each reachable from the host
    When an evaluation looks for unix sockets and tries to connect to them
    Then the attempt is blocked

  @severity-critical
  Scenario: No Kubernetes service-account token is mounted
    Remediation: Set automountServiceAccountToken: false on evaluation pods and give their service
    account no RBAC: a mounted token is API access to the cluster (CWE-522).
    When an evaluation looks for a Kubernetes service-account token and the API server's address
    Then the attempt is blocked
