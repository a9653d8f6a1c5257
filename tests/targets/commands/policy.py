"""What the strong sandbox commands deny, shared by their wrappers: the system calls of
container escapes (mount, namespaces, ptrace, keyrings, bpf, perf, kernel modules and
the like), and the limits they set from the runner's placeholders."""

import errno

DENIED = ("mount", "umount2", "unshare", "setns", "ptrace", "keyctl", "add_key", "request_key", "bpf",
          "perf_event_open", "init_module", "finit_module", "delete_module", "kexec_load", "reboot",
          "pivot_root", "chroot", "open_by_handle_at", "userfaultfd", "fsopen", "fsmount", "move_mount",
          "open_tree")
# The uid/gid each strong command runs the code as: one nobody else on the host uses, so
# RLIMIT_NPROC counts this sandbox's processes only.
SANDBOX_IDS = {"bwrap": 64124, "nsjail": 64123, "runsc": 64125}
NPROC = 256
SCRATCH_MB = 64
FSIZE_MB = 64
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/scratch", "LANG": "C.UTF-8"}


def bpf_program() -> bytes:
    """The deny list as a seccomp BPF program (libseccomp via pyseccomp): EPERM for each."""
    import tempfile

    import pyseccomp

    flt = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for name in DENIED:
        flt.add_rule(pyseccomp.ERRNO(errno.EPERM), name)
    with tempfile.TemporaryFile() as sink:
        flt.export_bpf(sink)
        sink.seek(0)
        return sink.read()


def kafel_policy() -> str:
    """The deny list in kafel syntax, for nsjail --seccomp_string (kafel calls umount2 umount)."""
    names = ", ".join("umount" if name == "umount2" else name for name in DENIED)
    return f"POLICY strong {{ ERRNO({errno.EPERM}) {{ {names} }} }} USE strong DEFAULT ALLOW"


def nsjail_prefix(nsjail: str) -> str:
    """A strong nsjail sandbox as a plain `command:` prefix: every namespace but the user
    one (nsjail runs as root and drops to an unprivileged uid), a read-only root with
    /usr only, a tmpfs scratch, the four harmless devices, the kafel deny list, and the
    run's timeout and memory limit from the runner's placeholders."""
    import shlex

    uid = SANDBOX_IDS["nsjail"]
    words = [nsjail, "--mode", "o", "--quiet", "--disable_clone_newuser", "--user", str(uid), "--group", str(uid),
             "--hostname", "sandbox", "--cwd", "/scratch", "--time_limit", "{timeout}",
             "--rlimit_as", "{memory_mb}", "--rlimit_nproc", str(NPROC), "--rlimit_fsize", str(FSIZE_MB),
             "--bindmount_ro", "/usr", "--symlink", "usr/bin:/bin", "--symlink", "usr/lib:/lib",
             "--symlink", "usr/lib64:/lib64",
             "--mount", f"none:/scratch:tmpfs:size={SCRATCH_MB * 1024 * 1024},mode=0700,uid={uid},gid={uid}",
             "--symlink", "/scratch:/tmp", *[a for d in ("null", "zero", "random", "urandom")
                                             for a in ("--bindmount", f"/dev/{d}")],
             *[a for k, v in ENV.items() for a in ("--env", f"{k}={v}")],
             "--seccomp_string", kafel_policy(), "--", "/usr/bin/env"]
    return shlex.join(words)
