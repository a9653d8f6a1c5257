"""What the strong sandbox commands deny and hide, shared by their wrappers: the system
calls of container escapes (mount, namespaces, ptrace, keyrings, bpf, perf, kernel modules,
io_uring and the like), namespace flags to clone(), vsock sockets, the global files of
/proc that describe the host, and the limits they set from the runner's placeholders.

The filter allows everything it does not name (the interpreter needs a broad set) and
answers what it names with EPERM, except clone3: its flags sit in a struct a seccomp
filter cannot read, so it answers ENOSYS, which makes libc fall back to clone(), whose
flags the filter does read.
"""

import errno
import os

DENIED = ("mount", "umount2", "unshare", "setns", "ptrace", "keyctl", "add_key", "request_key", "bpf",
          "perf_event_open", "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
          "reboot", "pivot_root", "chroot", "open_by_handle_at", "name_to_handle_at", "userfaultfd",
          "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr",
          # io_uring does its file and network work in kernel threads that no seccomp filter
          # sees, and is the surface of many local privilege escalations.
          "io_uring_setup", "io_uring_enter", "io_uring_register")
# clone() flags that make a namespace: the unshare() ban is hollow without them.
NAMESPACE_FLAGS = {"CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
                   "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
                   "CLONE_NEWNET": 0x40000000}
# Socket families no network namespace isolates: AF_VSOCK reaches the hypervisor.
DENIED_FAMILIES = {"AF_VSOCK": 40}
# x32-ABI calls are x86_64 numbers with this bit set; kafel matches numbers exactly.
X32_BIT = 0x40000000

# The global files of /proc that describe the host's kernel, memory, devices and boot,
# which nothing an evaluation runs needs: each is covered with an empty read-only file
# (/dev/null), each directory with an empty read-only tmpfs. /proc/self, cpuinfo, meminfo,
# stat, loadavg and uptime stay: the interpreter and numeric libraries read them. No
# strong command mounts the host's /sys.
PROC_MASKED_FILES = ("/proc/kallsyms", "/proc/kcore", "/proc/cmdline", "/proc/iomem", "/proc/ioports",
                     "/proc/interrupts", "/proc/softirqs", "/proc/diskstats", "/proc/partitions",
                     "/proc/swaps", "/proc/zoneinfo", "/proc/buddyinfo", "/proc/pagetypeinfo",
                     "/proc/vmallocinfo", "/proc/slabinfo", "/proc/timer_list", "/proc/sched_debug",
                     "/proc/schedstat", "/proc/keys", "/proc/key-users", "/proc/modules", "/proc/devices",
                     "/proc/misc", "/proc/dma", "/proc/mtrr", "/proc/consoles", "/proc/locks",
                     "/proc/kpagecount", "/proc/kpageflags", "/proc/kpagecgroup", "/proc/config.gz",
                     "/proc/sysrq-trigger", "/proc/sys/kernel/random/boot_id")
PROC_MASKED_DIRS = ("/proc/acpi", "/proc/scsi", "/proc/bus", "/proc/irq", "/proc/fs", "/proc/tty",
                    "/proc/driver", "/proc/asound", "/proc/sys/fs/binfmt_misc")

# The uid/gid each strong command runs the code as: one nobody else on the host uses, so
# RLIMIT_NPROC counts this sandbox's processes only.
SANDBOX_IDS = {"bwrap": 64124, "nsjail": 64123, "runsc": 64125}
NPROC = 256
SCRATCH_MB = 64
FSIZE_MB = 64
MASK_DIR_BYTES = 4096
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/scratch", "LANG": "C.UTF-8"}


def proc_masks() -> tuple[list[str], list[str]]:
    """(files, directories) of the masked /proc paths this kernel has: a mount needs its
    target, and the sandbox's procfs is served by this same kernel."""
    return ([p for p in PROC_MASKED_FILES if os.path.isfile(p)],
            [p for p in PROC_MASKED_DIRS if os.path.isdir(p)])


def _number(name: str) -> int:
    import pyseccomp

    return pyseccomp.resolve_syscall(pyseccomp.Arch.X86_64, name)


def bpf_program() -> bytes:
    """The filter as a seccomp BPF program for the native architecture (libseccomp via
    pyseccomp; it kills calls of any other ABI, x32 and i386 included)."""
    import tempfile

    import pyseccomp

    flt = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for name in DENIED:
        flt.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
    for flag in NAMESPACE_FLAGS.values():      # one rule per flag: any of them set is denied
        flt.add_rule(pyseccomp.ERRNO(errno.EPERM), "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, flag, flag))
    flt.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
    for family in DENIED_FAMILIES.values():
        flt.add_rule(pyseccomp.ERRNO(errno.EPERM), "socket", pyseccomp.Arg(0, pyseccomp.EQ, family))
    with tempfile.TemporaryFile() as sink:
        flt.export_bpf(sink)
        sink.seek(0)
        return sink.read()


def kafel_policy() -> str:
    """The filter in kafel syntax, for nsjail --seccomp_string. Every call is named by its
    x86_64 number (kafel's own table lacks the newer ones and calls umount2 umount), and
    its x32 alias is denied with it: kafel, unlike libseccomp, lets other ABIs through."""
    denied = [_number(name) for name in DENIED]
    names = [f"SYSCALL[{n}]" for n in denied]
    names += [f"SYSCALL[{X32_BIT | n}]" for n in (*denied, _number("clone"), _number("clone3"), _number("socket"))]
    mask = sum(NAMESPACE_FLAGS.values())
    families = " || ".join(f"family == {f}" for f in DENIED_FAMILIES.values())
    return (f"POLICY strong {{ ERRNO({errno.EPERM}) {{ {', '.join(names)}, "
            f"SYSCALL[{_number('clone')}](flags) {{ (flags & {mask:#x}) != 0 }}, "
            f"SYSCALL[{_number('socket')}](family) {{ {families} }} }}, "
            f"ERRNO({errno.ENOSYS}) {{ SYSCALL[{_number('clone3')}] }} }} USE strong DEFAULT ALLOW")


def nsjail_prefix(nsjail: str) -> str:
    """A strong nsjail sandbox as a plain `command:` prefix: every namespace but the user
    one (nsjail runs as root and drops to an unprivileged uid), a read-only root with
    /usr only, a read-only /proc with the host's global files masked (nsjail would add
    its own /proc after every mount given, where no mask could cover it: --disable_proc,
    and /proc mounted first), a tmpfs scratch, the four harmless devices, the kafel
    filter, and the run's timeout and memory limit from the runner's placeholders."""
    import shlex

    uid = SANDBOX_IDS["nsjail"]
    files, dirs = proc_masks()
    words = [nsjail, "--mode", "o", "--quiet", "--disable_clone_newuser", "--user", str(uid), "--group", str(uid),
             "--hostname", "sandbox", "--cwd", "/scratch", "--time_limit", "{timeout}",
             "--rlimit_as", "{memory_mb}", "--rlimit_nproc", str(NPROC), "--rlimit_fsize", str(FSIZE_MB),
             "--bindmount_ro", "/usr", "--symlink", "usr/bin:/bin", "--symlink", "usr/lib:/lib",
             "--symlink", "usr/lib64:/lib64",
             "--disable_proc", "--mount", "none:/proc:proc:ro",
             *[a for f in files for a in ("--bindmount_ro", f"/dev/null:{f}")],
             *[a for d in dirs for a in ("--mount", f"none:{d}:tmpfs:ro,size={MASK_DIR_BYTES},mode=0555")],
             "--mount", f"none:/scratch:tmpfs:size={SCRATCH_MB * 1024 * 1024},mode=0700,uid={uid},gid={uid}",
             "--symlink", "/scratch:/tmp", *[a for d in ("null", "zero", "random", "urandom")
                                             for a in ("--bindmount", f"/dev/{d}")],
             *[a for k, v in ENV.items() for a in ("--env", f"{k}={v}")],
             "--seccomp_string", kafel_policy(), "--", "/usr/bin/env"]
    return shlex.join(words)
