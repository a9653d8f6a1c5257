"""What code in the sandbox may learn of the host through /proc and /sys.

The sandbox's /proc is a procfs of its own PID namespace, but its global files still
describe the host's kernel: symbols, boot command line, physical memory map, devices,
disks, interrupts, the boot id. The interpreter and the libraries an evaluation uses need
only a few of them, so everything else that names the host is masked:

- VISIBLE: what stays readable, and why (docs/sandbox.md has the table):
  /proc/self/* and the sandbox's own /proc/<pid>/* (the interpreter reads its maps, fd,
  status; subprocess closes fds through /proc/self/fd), /proc/cpuinfo and /proc/stat
  (os.cpu_count's fallback, OpenBLAS and numpy size their thread pools from them),
  /proc/meminfo (psutil, pandas and numpy's memory checks), /proc/loadavg (os.getloadavg),
  /proc/uptime, /proc/version (what uname(2) says anyway), /proc/mounts and
  /proc/self/mountinfo (the sandbox's own mounts; libraries probe them for cgroups), and
  the namespaced /proc/net and /proc/sys/kernel/hostname.
- MASKED_FILES: bound over with an empty, read-only /dev/null.
- MASKED_DIRS: an empty, read-only tmpfs on top.
- /sys is not mounted at all by nsjail and bubblewrap. gVisor's /sys and /proc are the
  Sentry's own synthetic files, none of them the host's, and lack most of the masked
  ones; the few it has (GVISOR_FILES, GVISOR_DIRS) are masked the same way through
  the OCI spec's mounts (runsc ignores maskedPaths). Its /proc/cmdline stays: a
  constant of the Sentry ("BOOT_IMAGE=/vmlinuz-4.4.0-gvisor quiet"), not the host's
  boot line, and one of the signs docs/gvisor.md tells gVisor by (GVISOR_SYNTHETIC).

Only paths that exist on this host are masked (a bind needs its target); the same
kernel serves the sandbox's procfs, so what is absent here is absent there.
"""

from __future__ import annotations

import os

VISIBLE = ("/proc/self/status", "/proc/self/maps", "/proc/self/fd", "/proc/cpuinfo",
           "/proc/stat", "/proc/meminfo", "/proc/loadavg", "/proc/uptime", "/proc/version")

MASKED_FILES = (
    "/proc/kallsyms", "/proc/cmdline", "/proc/iomem", "/proc/ioports", "/proc/zoneinfo",
    "/proc/buddyinfo", "/proc/pagetypeinfo", "/proc/interrupts", "/proc/softirqs",
    "/proc/diskstats", "/proc/partitions", "/proc/swaps", "/proc/sys/kernel/random/boot_id",
    "/proc/timer_list", "/proc/sched_debug", "/proc/schedstat", "/proc/keys",
    "/proc/key-users", "/proc/kcore", "/proc/sysrq-trigger", "/proc/modules",
    "/proc/vmallocinfo", "/proc/slabinfo", "/proc/latency_stats", "/proc/timer_stats",
    "/proc/mtrr", "/proc/kpagecount", "/proc/kpageflags", "/proc/kpagecgroup",
    "/proc/config.gz", "/proc/devices", "/proc/misc", "/proc/dma", "/proc/consoles",
    "/proc/cgroups", "/proc/crypto", "/proc/locks", "/proc/mdstat", "/proc/vmstat",
)
MASKED_DIRS = ("/proc/acpi", "/proc/scsi", "/proc/asound", "/proc/driver", "/proc/bus",
               "/proc/irq", "/proc/fs", "/proc/tty", "/proc/pressure", "/proc/sys/fs/binfmt_misc")

# The masked paths gVisor's synthetic /proc and /sys do have.
GVISOR_FILES = ("/proc/cgroups",)
GVISOR_SYNTHETIC = ("/proc/cmdline",)
GVISOR_DIRS = ("/sys/class", "/sys/fs")

# What the probe (support/probes/proc_host_facts.py) checks: every masked path and /sys.
HIDDEN = (*MASKED_FILES, *MASKED_DIRS, "/sys/firmware", "/sys/kernel", "/sys/class",
          "/sys/block", "/sys/module", "/sys/fs", "/sys/bus", "/sys/devices/virtual/dmi")


def masked_files() -> list[str]:
    return [p for p in MASKED_FILES if os.path.isfile(p)]


def masked_dirs() -> list[str]:
    return [p for p in MASKED_DIRS if os.path.isdir(p)]


def bwrap_args() -> list[str]:
    """bubblewrap arguments, to follow its `--proc /proc`."""
    args: list[str] = []
    for path in masked_files():
        args += ["--ro-bind", "/dev/null", path]
    for path in masked_dirs():
        args += ["--perms", "0555", "--tmpfs", path]
    return args


def nsjail_config() -> str:
    """An nsjail config (protobuf text) that mounts /proc read-only, then the masks.

    nsjail appends its own /proc mount after every mount of the command line, where
    nothing could cover it; so the engine passes --disable_proc and this file first.
    """
    mounts = ['mount { dst: "/proc" fstype: "proc" rw: false is_dir: true }']
    mounts += [f'mount {{ src: "/dev/null" dst: "{p}" is_bind: true rw: false }}' for p in masked_files()]
    mounts += [f'mount {{ dst: "{p}" fstype: "tmpfs" options: "size=4096,mode=0555" rw: false is_dir: true }}'
               for p in masked_dirs()]
    return "\n".join(mounts) + "\n"


def oci_mounts() -> list[dict]:
    """OCI spec mounts masking what gVisor's /proc and /sys show (see GVISOR_FILES)."""
    return ([{"destination": p, "type": "bind", "source": "/dev/null", "options": ["rbind", "ro"]}
             for p in GVISOR_FILES]
            + [{"destination": p, "type": "tmpfs", "source": "tmpfs", "options": ["ro", "size=4k", "mode=0555"]}
               for p in GVISOR_DIRS])
