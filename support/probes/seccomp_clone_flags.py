"""Can code create namespaces through clone() or clone3() flags, not only unshare()?
Each call also passes CLONE_THREAD without CLONE_SIGHAND, which the kernel refuses with
EINVAL before making anything, so no child and no namespace ever exists: allowed, the
call fails EINVAL (the negative control, bare on the host); denied by the seccomp
filter, it fails EPERM (clone) or EPERM/ENOSYS (clone3, whose flags a filter cannot read)."""
import ctypes
import errno
import json

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
SYS_CLONE, SYS_CLONE3 = 56, 435
CLONE_THREAD = 0x00010000
FLAGS = {"CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
         "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
         "CLONE_NEWNET": 0x40000000}


class CloneArgs(ctypes.Structure):       # struct clone_args, CLONE_ARGS_SIZE_VER0
    _fields_ = [(name, ctypes.c_uint64) for name in
                ("flags", "pidfd", "child_tid", "parent_tid", "exit_signal", "stack", "stack_size", "tls")]


def call(*args) -> str:
    ctypes.set_errno(0)
    rc = libc.syscall(*args)
    return errno.errorcode.get(ctypes.get_errno(), "?") if rc == -1 else f"returned {rc}"


results = {}
for name, flag in FLAGS.items():
    results[f"clone({name})"] = call(ctypes.c_long(SYS_CLONE), ctypes.c_ulong(flag | CLONE_THREAD),
                                     ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    args = CloneArgs(flags=flag | CLONE_THREAD)
    results[f"clone3({name})"] = call(ctypes.c_long(SYS_CLONE3), ctypes.byref(args),
                                      ctypes.c_size_t(ctypes.sizeof(args)))
allowed = {call_: outcome for call_, outcome in results.items() if outcome not in ("EPERM", "ENOSYS")}
print(json.dumps({"probe": "seccomp_clone_flags", "blocked": not allowed, "detail": results}))
