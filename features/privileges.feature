@isolation @privileges
Feature: Code runs without privileges
  What amicontained, deepce, CDK and the Pod Security "restricted" profile check from
  inside a container: the code is not root and cannot become root, holds no capability,
  cannot gain privileges, runs under a seccomp filter that refuses the system calls of
  container escapes, sees only its own processes, cannot touch the kernel's controls and
  opens no device but the harmless four.

  @severity-critical
  Scenario: The code does not run as root
    Remediation: Run the code as an unprivileged uid (mapped in a user namespace), never as uid 0
    (CWE-250).
    When an evaluation looks at its user and group ids
    Then none of them is 0

  @severity-critical
  Scenario Outline: <field> of the code's process reads <value>
    Remediation: Before exec: drop every capability (CapEff 0), set no_new_privs and install the
    seccomp filter (mode 2); each missing one is a known privilege-escalation path (CWE-250,
    CWE-269).
    When an evaluation reads <field> of its own process
    Then it reads <value>

    Examples:
      | field      | value |
      | CapEff     | 0     |
      | NoNewPrivs | 1     |
      | Seccomp    | 2     |

  @severity-critical
  Scenario: The system calls of container escapes are denied
    Remediation: Deny mount, unshare, setns, ptrace, keyctl, bpf and perf_event_open in the seccomp
    filter (Docker's default profile denies them too): they are the calls of escapes such as
    CVE-2022-0185 (fsconfig) and CVE-2022-0492 (cgroup release_agent).
    When an evaluation calls mount, unshare, setns, ptrace, keyctl, bpf and perf_event_open
    Then each of them is denied

  @severity-critical
  Scenario: setuid(0) fails
    Remediation: Drop CAP_SETUID, map no host uid 0 into the user namespace and set no_new_privs, so
    that neither setuid(0) nor a setuid binary raises privileges (CWE-269).
    When an evaluation tries to become root with setuid(0)
    Then the attempt is blocked

  @severity-critical
  Scenario: Raw and packet sockets are denied
    Remediation: Drop CAP_NET_RAW and deny AF_PACKET and SOCK_RAW sockets in seccomp: packet sockets
    have been kernel escape paths (CVE-2020-14386, CVE-2017-7308).
    When an evaluation tries to open raw and packet sockets
    Then the attempt is blocked

  @severity-critical
  Scenario: Only the sandbox's own processes are in /proc
    Remediation: Run the code in a PID namespace of its own with a fresh /proc mounted for it
    (CWE-668).
    When an evaluation lists the processes in /proc
    Then it sees only its own processes

  @host @severity-critical
  Scenario: A process on the host is invisible
    Remediation: Run the code in a PID namespace of its own and never bind the host's /proc: host
    processes' command lines and environments leak secrets (CWE-200).
    Given a process of mine on the host, which the host can see
    When an evaluation looks for that process in /proc
    Then the attempt is blocked

  @severity-critical
  Scenario: /proc/sysrq-trigger, /proc/sys, /sys and the cgroup files are not writable
    Remediation: Mount /proc/sys, /sys and the cgroup filesystem read-only (or not at all) and mask
    /proc/sysrq-trigger: a writable release_agent or core_pattern runs code on the host
    (CVE-2022-0492; CWE-732).
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

  @severity-critical
  Scenario: No device beyond null, zero, random and urandom can be opened
    Remediation: Give the sandbox a minimal /dev (null, zero, random, urandom) and allow no other
    device in the device cgroup: a host disk or tty is an escape (CWE-250).
    When an evaluation tries to open every device in /dev beyond null, zero, random and urandom
    Then the attempt is blocked

  @severity-critical
  Scenario: The devices it can open are not its to change
    Remediation: Never hand the sandbox host device nodes it may chown or chmod, and never let the
    runtime chown host paths on the code's behalf: a runtime that follows the code's links to change
    host files repeats Judge0's CVE-2024-28185 (symlink chown; CWE-59).
    When an evaluation tries to change the permissions of every device in /dev, keeping them as they are
    Then the attempt is blocked
