@isolation @filesystem
Feature: An evaluation sees a read-only system and a private scratch directory
  The root holds only what the interpreter needs, bound read-only. The code's working
  directory and /tmp are a fresh, writable scratch space. Nothing of the host's
  secrets, homes or the project is visible.

  @severity-critical
  Scenario Outline: <path> is not writable
    Remediation: Mount the root filesystem and every system path read-only inside the sandbox (read-
    only binds, or gVisor's overlay discarded per run) (CWE-732).
    When an evaluation tries to create a file in "<path>"
    Then the attempt is blocked

    Examples:
      | path |
      | /    |
      | /etc |
      | /usr |

  @severity-high
  Scenario Outline: The scratch space <path> is writable
    Remediation: Give each evaluation a private, empty, writable scratch directory (a tmpfs per
    run): code needs one place to write, and only one.
    When an evaluation tries to create a file in "<path>"
    Then the attempt succeeds

    Examples:
      | path |
      | .    |
      | /tmp |

  @severity-critical
  Scenario: /etc/shadow cannot be read
    Remediation: Never bind the host's /etc into the sandbox: build its /etc from the environment
    image, without the host's password hashes (CWE-200).
    When an evaluation tries to read "/etc/shadow"
    Then the attempt is blocked

  @host @severity-critical
  Scenario: The host's home directory is invisible
    Remediation: Bind only the interpreter and its environment, read-only; never the host's /home or
    /root (CWE-552).
    Given a file of mine in the host's home directory
    When an evaluation looks for that file
    Then the attempt is blocked

  @host @severity-critical
  Scenario: The project's directory is invisible
    Remediation: Do not mount the platform's own checkout or working directory into the sandbox: its
    code and configuration reveal how to reach and impersonate it (CWE-552).
    Given a file of the project's on the host
    When an evaluation looks for that file
    Then the attempt is blocked

  @gvisor @platform @severity-high
  Scenario: The engine the platform reports is the engine that runs the code
    Remediation: Report in GET /api/platform the engine that really runs the code, and fail rather
    than fall back silently from gVisor to a weaker engine (CWE-693).
    Given the sandbox engine the platform reports
    When an evaluation looks at the kernel it runs on
    Then the kernel shows the signs of gVisor exactly when the reported engine is gVisor
