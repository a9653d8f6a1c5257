@isolation @privileges
Feature: Code runs without privileges
  What amicontained, deepce, CDK and the Pod Security "restricted" profile check from
  inside a container: the code is not root and cannot become root, holds no capability,
  cannot gain privileges, runs under a seccomp filter that refuses the system calls of
  container escapes and io_uring, sees only its own processes, learns of the host through
  /proc and /sys no more than the interpreter needs, inherits no file descriptor, cannot
  touch the kernel's controls and opens no device but the harmless four.

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
  Scenario: Namespaces cannot be created through clone() or clone3() flags either
    Remediation: Deny the namespace flags (CLONE_NEWUSER, NEWNS, NEWNET, NEWPID, NEWIPC, NEWUTS,
    NEWCGROUP) to clone() in the seccomp filter, and clone3 altogether (ENOSYS), not only unshare() (CWE-250).
    When an evaluation asks clone() and clone3() for a new mount, cgroup, UTS, IPC, user, PID and network namespace
    Then each of them is denied

  @severity-critical
  Scenario: io_uring is refused: it does its work where the seccomp filter cannot see it
    Remediation: Deny io_uring_setup, io_uring_enter and io_uring_register in the seccomp filter (as
    Docker's default profile does since 25.0): io_uring performs file and network operations that
    seccomp never sees, and is the kernel surface of many local privilege escalations (CWE-693).
    When an evaluation tries to set up an io_uring, and to enter and register one
    Then each call is refused, as denied or as not implemented

  @severity-high
  Scenario: No vsock socket, which reaches past the network namespace to the hypervisor, can be made
    Remediation: Deny socket(AF_VSOCK) in the seccomp filter: network namespaces do not isolate vsock,
    which reaches the hypervisor and its agents from inside any container (CWE-923).
    When an evaluation tries to make vsock sockets
    Then the attempt is blocked

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

  @severity-medium
  Scenario: /proc and /sys tell the code nothing of the host beyond what the interpreter needs
    Remediation: Mask the global files of the sandbox's /proc (kernel symbols, boot line, memory map,
    devices, disks, keys, the boot id) and mount no host /sys: they identify and profile the host and
    point kernel exploits at their targets (CWE-200).
    When an evaluation reads /proc/self/status, /proc/self/maps, /proc/cpuinfo, /proc/meminfo and /proc/stat, which the interpreter needs, and these, which describe the host:
      | path                            |
      | /proc/kallsyms                  |
      | /proc/iomem                     |
      | /proc/ioports                   |
      | /proc/interrupts                |
      | /proc/diskstats                 |
      | /proc/partitions                |
      | /proc/swaps                     |
      | /proc/zoneinfo                  |
      | /proc/timer_list                |
      | /proc/sched_debug               |
      | /proc/keys                      |
      | /proc/modules                   |
      | /proc/devices                   |
      | /proc/sys/kernel/random/boot_id |
      | /proc/acpi                      |
      | /proc/scsi                      |
      | /proc/bus                       |
      | /proc/irq                       |
      | /proc/fs                        |
      | /proc/tty                       |
      | /sys/firmware                   |
      | /sys/kernel                     |
      | /sys/class                      |
      | /sys/block                      |
      | /sys/module                     |
      | /sys/bus                        |
      | /sys/devices/virtual/dmi        |
    Then the attempt is blocked
    And what the interpreter needs was readable

  @severity-high
  Scenario: No file descriptor but stdin, stdout and stderr reaches the code
    Remediation: Close, or mark close-on-exec, every descriptor of the launcher before the code runs:
    an inherited descriptor is a handle on a file, socket or pipe outside the sandbox (CWE-403).
    When an evaluation lists its open file descriptors
    Then it holds only stdin, stdout and stderr

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
