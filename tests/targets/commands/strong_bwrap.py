"""A strong bubblewrap sandbox as a `command:` target (docs/targets.md):

    command:.venv/bin/python tests/targets/commands/strong_bwrap.py {memory_bytes} --

bwrap takes its seccomp filter on a file descriptor, which a plain command prefix cannot
hand it; this wrapper compiles the filter, drops to an unprivileged uid of its own, sets
the memory (RLIMIT_AS), process and file-size limits, and execs bwrap unprivileged (a user
namespace): every namespace unshared (network: only lo), a read-only /usr and nothing
else of the host, a fresh /proc with the host's global files masked (policy.proc_masks),
no /sys, a fresh tmpfs scratch as cwd and /tmp, the four harmless devices, an empty
environment but PATH, HOME and LANG, no capabilities, no_new_privs, the filter.
The code's argv follows `--`.

Two options make it weak on purpose, for the suite's negative control (WEAK_BWRAP in
tests/targets/helpers.py): `--host-root` binds the host's whole root read-only instead of
/usr alone, `--share-net` keeps the host's network namespace.

`--output-bytes {output_bytes} --status {status}` first: the wrapper stays bwrap's parent,
passes each stream on up to that limit and says so in the status file when it cut one
(capped.py); bwrap is then started with the same privileges dropped and limits set.
"""

import os
import resource
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capped  # noqa: E402
import policy  # noqa: E402

MIB = 1024 * 1024
DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")


WEAKNESSES = ("--host-root", "--share-net")


def proc_mask_args() -> list[str]:
    """bwrap arguments masking the host's global files in the /proc just mounted."""
    files, dirs = policy.proc_masks()
    return ([a for f in files for a in ("--ro-bind", "/dev/null", f)]
            + [a for d in dirs for a in ("--perms", "0555", "--size", str(policy.MASK_DIR_BYTES), "--tmpfs", d,
                                         "--remount-ro", d)])


def unprivileged(memory_bytes: int) -> None:
    """This process drops to the sandbox's uid, with the memory, process and file-size limits."""
    uid = policy.SANDBOX_IDS["bwrap"]
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_NPROC, (policy.NPROC, policy.NPROC))
    resource.setrlimit(resource.RLIMIT_FSIZE, (policy.FSIZE_MB * MIB, policy.FSIZE_MB * MIB))


def main(argv: list[str]) -> None:
    weak = set()
    while argv and argv[0] in WEAKNESSES:
        weak.add(argv.pop(0))
    limit, status, argv = capped.options(argv)
    memory_bytes, separator, *program = argv
    assert separator == "--", (f"usage: strong_bwrap.py [{' '.join(WEAKNESSES)}] [--output-bytes N --status PATH] "
                               f"MEMORY_BYTES -- PROGRAM...")
    seccomp_fd = os.memfd_create("strong-bwrap-seccomp", 0)
    os.write(seccomp_fd, policy.bpf_program())
    os.lseek(seccomp_fd, 0, os.SEEK_SET)
    # --as-pid-1: the code is pid 1 of its namespace, not bwrap's reaper, whose command line
    # (holding the code) the code would otherwise find among "other" processes in /proc.
    bwrap = ["bwrap", "--unshare-all", *(["--share-net"] if "--share-net" in weak else []), "--as-pid-1",
             "--die-with-parent", "--new-session", "--hostname", "sandbox", "--cap-drop", "ALL", "--clearenv",
             *[a for k, v in policy.ENV.items() for a in ("--setenv", k, v)]]
    if "--host-root" in weak:
        bwrap += ["--ro-bind", "/", "/"]
    else:
        bwrap += ["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
                  "--symlink", "usr/lib64", "/lib64"]
    bwrap += ["--proc", "/proc", *proc_mask_args(), "--tmpfs", "/dev"]
    for device in DEVICES:
        bwrap += ["--dev-bind", device, device]
    if "--host-root" in weak:       # no /scratch to mount on in the host's read-only root: /tmp is it
        bwrap += ["--size", str(policy.SCRATCH_MB * MIB), "--tmpfs", "/tmp", "--chdir", "/tmp"]
    else:
        bwrap += ["--size", str(policy.SCRATCH_MB * MIB), "--tmpfs", "/scratch", "--symlink", "/scratch", "/tmp",
                  "--remount-ro", "/", "--chdir", "/scratch"]
    bwrap += ["--seccomp", str(seccomp_fd), "--", *program]
    # An empty environment: bwrap's own is otherwise readable where its processes are.
    if limit is not None:
        capped.exit_as(capped.run(bwrap, limit, status, executable=shutil.which("bwrap"), env={},
                                  pass_fds=(seccomp_fd,), preexec_fn=lambda: unprivileged(int(memory_bytes))))
    unprivileged(int(memory_bytes))
    os.set_inheritable(seccomp_fd, True)
    os.execve(shutil.which("bwrap"), bwrap, {})


if __name__ == "__main__":
    main(sys.argv[1:])
