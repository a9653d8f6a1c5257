@isolation @filesystem
Feature: An evaluation sees a read-only system and a private scratch directory
  The root holds only what the interpreter needs, bound read-only. The code's working
  directory and /tmp are a fresh, writable scratch space. Nothing of the host's
  secrets, homes or the project is visible.

  Scenario Outline: <path> is not writable
    When an evaluation tries to create a file in "<path>"
    Then the attempt is blocked

    Examples:
      | path |
      | /    |
      | /etc |
      | /usr |

  Scenario Outline: The scratch space <path> is writable
    When an evaluation tries to create a file in "<path>"
    Then the attempt succeeds

    Examples:
      | path |
      | .    |
      | /tmp |

  Scenario: /etc/shadow cannot be read
    When an evaluation tries to read "/etc/shadow"
    Then the attempt is blocked

  @host
  Scenario: The host's home directory is invisible
    Given a file of mine in the host's home directory
    When an evaluation looks for that file
    Then the attempt is blocked

  @host
  Scenario: The project's directory is invisible
    Given a file of the project's on the host
    When an evaluation looks for that file
    Then the attempt is blocked

  @gvisor @platform
  Scenario: The engine the platform reports is the engine that runs the code
    Given the sandbox engine the platform reports
    When an evaluation looks at the kernel it runs on
    Then the kernel shows the signs of gVisor exactly when the reported engine is gVisor
