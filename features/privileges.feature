@isolation @privileges
Feature: Code runs without privileges
  What amicontained, deepce, CDK and the Pod Security "restricted" profile check from
  inside a container: the code is not root and cannot become root, holds no capability,
  cannot gain privileges, runs under a seccomp filter that refuses the system calls of
  container escapes, sees only its own processes, cannot touch the kernel's controls and
  opens no device but the harmless four.

  Scenario: The code does not run as root
    When an evaluation looks at its user and group ids
    Then none of them is 0

  Scenario Outline: <field> of the code's process reads <value>
    When an evaluation reads <field> of its own process
    Then it reads <value>

    Examples:
      | field      | value |
      | CapEff     | 0     |
      | NoNewPrivs | 1     |
      | Seccomp    | 2     |

  Scenario: The system calls of container escapes are denied
    When an evaluation calls mount, unshare, setns, ptrace, keyctl, bpf and perf_event_open
    Then each of them is denied

  Scenario: Namespaces cannot be created through clone() or clone3() flags either
    When an evaluation asks clone() and clone3() for a new mount, cgroup, UTS, IPC, user, PID and network namespace
    Then each of them is denied

  Scenario: setuid(0) fails
    When an evaluation tries to become root with setuid(0)
    Then the attempt is blocked

  Scenario: Raw and packet sockets are denied
    When an evaluation tries to open raw and packet sockets
    Then the attempt is blocked

  Scenario: Only the sandbox's own processes are in /proc
    When an evaluation lists the processes in /proc
    Then it sees only its own processes

  @host
  Scenario: A process on the host is invisible
    Given a process of mine on the host, which the host can see
    When an evaluation looks for that process in /proc
    Then the attempt is blocked

  Scenario: /proc/sysrq-trigger, /proc/sys, /sys and the cgroup files are not writable
    When an evaluation tries to open these for writing:
      | path                                 |
      | /proc/sysrq-trigger                  |
      | /proc/sys/kernel/core_pattern        |
      | /proc/sys/kernel/modprobe            |
      | /proc/sys/vm/drop_caches             |
      | /sys/kernel/uevent_helper            |
      | /sys/kernel/*                        |
      | /sys/power/state                     |
      | /sys/fs/cgroup/release_agent         |
      | /sys/fs/cgroup/*/release_agent       |
      | /sys/fs/cgroup/*/notify_on_release   |
      | /sys/fs/cgroup/cgroup.procs          |
      | /sys/fs/cgroup/*/cgroup.procs        |
      | /sys/fs/cgroup/*/tasks               |
    Then the attempt is blocked

  Scenario: No device beyond null, zero, random and urandom can be opened
    When an evaluation tries to open every device in /dev beyond null, zero, random and urandom
    Then the attempt is blocked

  Scenario: The devices it can open are not its to change
    When an evaluation tries to change the permissions of every device in /dev, keeping them as they are
    Then the attempt is blocked
