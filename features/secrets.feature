@isolation @secrets
Feature: Nothing of the platform's secrets or configuration reaches the code
  What deepce, botb, CDK and kube-hunter look for first: credentials in the environment
  (the code's own, and /proc/1/environ), configuration and data files, the unix sockets
  of the host's services, and a Kubernetes service-account token.

  Scenario: The environment holds nothing of the platform's, and neither does /proc/1/environ
    When an evaluation searches every environment it can read for the platform's names and addresses
    Then it finds nothing of the platform's

  Scenario: Well-known credential and configuration files are invisible
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

  @host @platform
  Scenario: The platform's own files are invisible: the project, its .env files, the stack's data, logs and sockets
    Given the platform's own files on the host, which the host can see
    When an evaluation looks for those files
    Then the attempt is blocked

  Scenario: No unix socket is visible where services keep them
    When an evaluation looks for unix sockets and tries to connect to them
    Then the attempt is blocked

  @host
  Scenario: No unix socket of a host service is visible or reachable
    Given the host's unix sockets: the platform's own, one of mine on the filesystem and one of mine in the abstract namespace, each reachable from the host
    When an evaluation looks for unix sockets and tries to connect to them
    Then the attempt is blocked

  Scenario: No Kubernetes service-account token is mounted
    When an evaluation looks for a Kubernetes service-account token and the API server's address
    Then the attempt is blocked
