@isolation @privileges
Feature: Code runs without privileges
  What amicontained, deepce, CDK and the Pod Security "restricted" profile check from
  inside a container: the code is not root and cannot become root, holds no capability,
  cannot gain privileges, runs under a seccomp filter that refuses the system calls of
  container escapes and io_uring, sees only its own processes, learns of the host through
  /proc and /sys no more than the interpreter needs, inherits no file descriptor, cannot
  touch the kernel's controls and opens no device but the harmless four.

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

  Scenario: io_uring is refused: it does its work where the seccomp filter cannot see it
    When an evaluation tries to set up an io_uring, and to enter and register one
    Then each call is refused, as denied or as not implemented

  Scenario: No vsock socket, which reaches past the network namespace to the hypervisor, can be made
    When an evaluation tries to make vsock sockets
    Then the attempt is blocked

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

  Scenario: /proc and /sys tell the code nothing of the host beyond what the interpreter needs
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

  Scenario: No file descriptor but stdin, stdout and stderr reaches the code
    When an evaluation lists its open file descriptors
    Then it holds only stdin, stdout and stderr

  Scenario: No device beyond null, zero, random and urandom can be opened
    When an evaluation tries to open every device in /dev beyond null, zero, random and urandom
    Then the attempt is blocked

  Scenario: The devices it can open are not its to change
    When an evaluation tries to change the permissions of every device in /dev, keeping them as they are
    Then the attempt is blocked
