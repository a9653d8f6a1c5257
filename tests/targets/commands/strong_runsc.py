"""A strong gVisor sandbox as a `command:` target (docs/targets.md):

    command:.venv/bin/python tests/targets/commands/strong_runsc.py {memory_bytes} --

runsc runs OCI bundles, which a plain prefix cannot express; this wrapper writes one in
the run's scratch (its cwd, removed by the suite's safety net afterwards) and execs
`runsc run` on it: the ptrace platform, no network but gVisor's own lo, the host's
cgroups left alone (--ignore-cgroups, so runsc, its gofer and Sentry stay in the net's
cgroup), the spec's seccomp filter enforced on the program (--oci-seccomp; policy's deny
list, clone() namespace flags and AF_VSOCK), an empty read-only root with /usr bound
read-only, tmpfs scratch and /tmp, gVisor's /sys hidden, an unprivileged uid, no
capabilities, no_new_privs, and the memory, process and file-size rlimits. runsc is
never handed a host device as its stdio (it would chown it to the container's user):
run_behind_pipes. The code's argv follows `--`.

`--output-bytes {output_bytes} --status {status}` first: runsc always runs behind pipes
then, each stream passed on up to that limit, and the status file says when one was cut
(capped.py).
"""

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capped  # noqa: E402
import policy  # noqa: E402

MIB = 1024 * 1024
# gVisor's own /dev also opens full, fuse, net/tun and pts/ptmx, and runsc ignores a mount
# over /dev itself or /dev/pts: an empty read-only tmpfs over /dev/net, an unreadable empty
# file bound over each of the others. Its /sys is the Sentry's own, synthetic (CPUs, the
# network devices, the cgroup mount point): an empty read-only tmpfs over it all, as the
# other strong commands mount no /sys. Its /proc is synthetic too and has none of the
# host's global files that policy.PROC_MASKED_FILES lists.
MASKED_DIRS = ("/dev/net", "/sys")
MASKED_FILES = ("/dev/full", "/dev/fuse", "/dev/pts/ptmx")
MASK_NAME = "masked"
FLAGS = ("--network=none", "--platform=ptrace", "--ignore-cgroups", "--oci-seccomp")


def _tmpfs(destination: str, mode: str, uid: int) -> dict:
    return {"destination": destination, "type": "tmpfs", "source": "tmpfs",
            "options": [f"size={policy.SCRATCH_MB}m", "nosuid", "nodev", f"mode={mode}", f"uid={uid}", f"gid={uid}"]}


def masks(mask: str) -> list[dict]:
    dirs = [{"destination": d, "type": "tmpfs", "source": "tmpfs", "options": ["size=4k", "mode=0555", "ro"]}
            for d in MASKED_DIRS]
    return dirs + [{"destination": f, "type": "bind", "source": mask, "options": ["bind", "ro"]} for f in MASKED_FILES]


def seccomp() -> dict:
    """policy's filter as the spec's seccomp section, which runsc enforces in its Sentry.

    Every rule answers EPERM: this runsc answers EPERM whatever errnoRet a rule names, so
    clone3 cannot be given the ENOSYS that makes libc fall back to clone() (EPERM would
    break every thread). It needs no rule: the Sentry does not implement clone3 and
    answers ENOSYS itself."""
    def eperm(names: list[str], *args: dict) -> dict:
        return {"names": names, "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EPERM, "args": list(args)}

    rules = [eperm(list(policy.DENIED))]
    rules += [eperm(["clone"], {"index": 0, "value": flag, "valueTwo": flag, "op": "SCMP_CMP_MASKED_EQ"})
              for flag in policy.NAMESPACE_FLAGS.values()]
    rules += [eperm(["socket"], {"index": 0, "value": family, "op": "SCMP_CMP_EQ"})
              for family in policy.DENIED_FAMILIES.values()]
    return {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": rules}


def spec(memory_bytes: int, program: list[str], mask: str) -> dict:
    uid = policy.SANDBOX_IDS["runsc"]
    limits = {"RLIMIT_AS": memory_bytes, "RLIMIT_NPROC": policy.NPROC,
              "RLIMIT_FSIZE": policy.FSIZE_MB * MIB, "RLIMIT_CORE": 0}
    return {
        "ociVersion": "1.0.2",
        "process": {"user": {"uid": uid, "gid": uid}, "args": ["/usr/bin/env", *program],
                    "env": [f"{k}={v}" for k, v in policy.ENV.items()], "cwd": "/scratch",
                    "capabilities": {k: [] for k in ("bounding", "effective", "inheritable", "permitted", "ambient")},
                    "noNewPrivileges": True,
                    "rlimits": [{"type": k, "soft": v, "hard": v} for k, v in limits.items()]},
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "sandbox",
        "mounts": [{"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro", "nosuid", "nodev"]},
                   _tmpfs("/scratch", "0700", uid), _tmpfs("/tmp", "1777", uid), *masks(mask)],
        "linux": {"namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
                  "seccomp": seccomp()},
    }


def main(argv: list[str]) -> None:
    limit, status, argv = capped.options(argv)
    memory_bytes, separator, *program = argv
    assert separator == "--", "usage: strong_runsc.py [--output-bytes N --status PATH] MEMORY_BYTES -- PROGRAM..."
    work = tempfile.mkdtemp(prefix="runsc-", dir=os.getcwd())
    os.chmod(work, 0o711)
    rootfs = os.path.join(work, "rootfs")
    for directory in ("usr", "scratch", "tmp"):
        os.makedirs(os.path.join(rootfs, directory), mode=0o755)
    for name, target in (("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64")):
        os.symlink(target, os.path.join(rootfs, name))
    mask = os.path.join(work, MASK_NAME)
    open(mask, "w").close()
    os.chmod(mask, 0)
    with open(os.path.join(work, "config.json"), "w") as fh:
        json.dump(spec(int(memory_bytes), program, mask), fh)
    state = os.path.join(work, "state")
    os.mkdir(state, 0o700)
    runsc = shutil.which("runsc", path="/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin")
    argv = [runsc, "--root", state, "--log", os.path.join(work, "runsc.log"), *FLAGS,
            "run", "--bundle", work, f"suite-{uuid.uuid4().hex[:12]}"]
    devices = [fd for fd in (0, 1, 2) if stat.S_ISCHR(os.fstat(fd).st_mode)]
    if limit is not None:           # stdout and stderr are pipes then; stdin an empty one if a device
        capped.exit_as(capped.run(argv, limit, status, env={},
                                  stdin=subprocess.PIPE if 0 in devices else None))
    if not devices:
        os.execve(runsc, argv, {})
    run_behind_pipes(argv, devices)


def run_behind_pipes(argv: list[str], devices: list[int]) -> None:
    """runsc with pipes for the stdio fds that are character devices, relayed; exits as it did.

    runsc hands its stdio to the container's user: given the host's /dev/null (a caller's
    DEVNULL) or a terminal, it chowns that node to uid 65534, on the host. So runsc never
    gets one: stdin becomes an empty pipe, stdout and stderr pipes copied to the original
    fds. A run killed by a signal is passed on as the same signal."""
    pipe = {fd: subprocess.PIPE if fd in devices else None for fd in (0, 1, 2)}
    proc = subprocess.Popen(argv, env={}, stdin=pipe[0], stdout=pipe[1], stderr=pipe[2])
    if proc.stdin is not None:
        proc.stdin.close()
    relays = [threading.Thread(target=_copy, args=(stream, fd), daemon=True)
              for stream, fd in ((proc.stdout, 1), (proc.stderr, 2)) if stream is not None]
    for relay in relays:
        relay.start()
    status = proc.wait()
    for relay in relays:
        relay.join()
    capped.exit_as(status)


def _copy(stream, fd: int) -> None:
    while chunk := stream.read1(65536):
        os.write(fd, chunk)


if __name__ == "__main__":
    main(sys.argv[1:])
