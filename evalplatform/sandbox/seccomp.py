"""The seccomp policy every engine applies, from one list of denied syscalls.

Everything not listed is allowed (the interpreter and numeric libraries need a broad
set); what is listed lets code reach outside its namespaces or the kernel itself.
Denied calls fail with EPERM, which code treats like any refused privileged call.
Namespace-creating clone flags are denied too (the `unshare` ban would be hollow
without them), and clone3 answers ENOSYS so libc falls back to the filterable clone.

nsjail takes the policy as a kafel string; bubblewrap takes a compiled BPF program on a
file descriptor, which libseccomp (PyPI `pyseccomp`, ctypes over the system
libseccomp2) generates once per process.
"""

from __future__ import annotations

import errno
from functools import lru_cache

from evalplatform import failpoints

DENIED_SYSCALLS = (
    "mount", "umount2", "unshare", "setns", "ptrace", "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "reboot", "swapon", "swapoff", "pivot_root",
    "chroot", "open_by_handle_at", "name_to_handle_at", "userfaultfd", "iopl", "ioperm",
    "acct", "settimeofday", "clock_settime", "adjtimex", "syslog", "quotactl",
    "fsopen", "fsmount", "fsconfig", "move_mount", "open_tree", "mount_setattr",
    # io_uring does file and network work in kernel threads that seccomp never sees, and
    # it is the surface of most recent local privilege escalations (Docker denies it
    # since 25.0). gVisor implements part of it, so it is denied there too.
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    # The rest of what Docker's default profile refuses a container without capabilities
    # (docs/sandbox.md, "System calls"): most would fail for want of a capability anyway;
    # denied here, they cannot become a hole should a capability or a kernel bug appear.
    "fspick", "quotactl_fd", "fanotify_init", "lookup_dcookie", "sethostname", "setdomainname",
    "vhangup", "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
    "mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node", "migrate_pages",
    "move_pages", "_sysctl", "uselib", "ustat", "sysfs", "nfsservctl", "create_module",
    "get_kernel_syms", "query_module", "afs_syscall", "tuxcall", "security", "vserver",
    "getpmsg", "putpmsg",
)

# Socket families the network namespace does not isolate. AF_VSOCK (40) talks to the
# hypervisor and the other VMs of the host whatever namespace the socket is made in.
DENIED_SOCKET_FAMILIES = (40,)

# kafel's x86_64 table is older than some of these names (and names syscall 166, umount2,
# after its old libc wrapper): every denied call is given to it by number, SYSCALL[n].

# CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET
NAMESPACE_CLONE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000,
                         0x20000000, 0x40000000)


# x32 ABI calls reach the x86_64 syscall table with this bit set in the number. kafel
# (unlike libseccomp, which kills them) matches numbers exactly, so on a kernel with x32
# enabled `mount | X32_SYSCALL_BIT` would slip past the names: deny those aliases too.
X32_SYSCALL_BIT = 0x40000000


def _x86_64_number(name: str) -> int:
    import pyseccomp

    return pyseccomp.resolve_syscall(pyseccomp.Arch.X86_64, name)


def kafel_syscall(name: str) -> str:
    """How the kafel policy names the x86_64 syscall `name`."""
    return f"SYSCALL[{_x86_64_number(name)}]"


def _x32_aliases() -> list[str]:
    names = (*DENIED_SYSCALLS, "clone", "clone3", "socket")   # x32: no argument filters, all denied
    return [f"SYSCALL[{X32_SYSCALL_BIT | _x86_64_number(n)}]" for n in names]


# -- namespace creation through clone()/clone3() (a block of its own) --------------------------

def _clone_rules_on() -> bool:
    """False only under the `clone_namespaces_allowed` failpoint: clone() may then pass
    namespace flags, and clone3 reaches the kernel."""
    return not failpoints.active("clone_namespaces_allowed")


def _kafel_clone_rules(mask: int) -> tuple[str, str]:
    """(the clone rule inside the EPERM block, the clone3 block), or empty ones."""
    if not _clone_rules_on():
        return "", ""
    return f", clone {{ (clone_flags & {mask:#x}) != 0 }}", f", ERRNO({errno.ENOSYS}) {{ clone3 }}"


def _add_bpf_clone_rules(flt, pyseccomp) -> None:
    if not _clone_rules_on():
        return
    for flag in NAMESPACE_CLONE_FLAGS:
        flt.add_rule(pyseccomp.ERRNO(errno.EPERM), "clone",
                     pyseccomp.Arg(0, pyseccomp.MASKED_EQ, flag, flag))
    flt.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")


# -- the policy in each engine's form -------------------------------------------------------------

@lru_cache(maxsize=1)
def kafel_policy() -> str:
    """The policy in kafel syntax, for nsjail --seccomp_string (x86_64 hosts)."""
    mask = sum(NAMESPACE_CLONE_FLAGS)
    names = ", ".join([*map(kafel_syscall, DENIED_SYSCALLS), *_x32_aliases()])
    families = " || ".join(f"family == {f}" for f in DENIED_SOCKET_FAMILIES)
    clone_rule, clone3_block = _kafel_clone_rules(mask)
    return (
        "POLICY evalplatform { "
        f"ERRNO({errno.EPERM}) {{ {names}{clone_rule}, "
        f"socket(family, type, protocol) {{ {families} }} }}{clone3_block} "
        "} USE evalplatform DEFAULT ALLOW"
    )


@lru_cache(maxsize=1)
def bpf_program() -> bytes:
    """The policy compiled to a BPF program (native arch; other arches are killed)."""
    import tempfile

    import pyseccomp

    flt = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        flt.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
    _add_bpf_clone_rules(flt, pyseccomp)
    for family in DENIED_SOCKET_FAMILIES:
        flt.add_rule(pyseccomp.ERRNO(errno.EPERM), "socket", pyseccomp.Arg(0, pyseccomp.EQ, family))
    with tempfile.TemporaryFile() as sink:
        flt.export_bpf(sink)
        sink.seek(0)
        return sink.read()
