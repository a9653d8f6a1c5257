"""Are these syscalls denied (EPERM)? Each is called with arguments that are harmless
even where it is allowed (bad magic, bad fds, NULL pointers, paths that do not exist),
so run bare as root (the negative control) each fails with some other errno, or 0."""
import ctypes
import errno
import json

libc = ctypes.CDLL(None, use_errno=True)
MISSING = b"/nonexistent-evalplatform-probe"
# x86_64 syscall numbers and harmless arguments.
CALLS = {
    "mount": (165, MISSING, MISSING, b"tmpfs", 0, None),
    "umount2": (166, MISSING, 0),
    "unshare": (272, 0),                                   # no flags: a no-op
    "setns": (308, -1, 0),
    "ptrace": (101, 12, 1, 0, 0),                          # GETREGS on a process not traced
    "keyctl": (250, 0xFFF, 0, 0, 0, 0),
    "add_key": (248, None, None, None, 0, 0),
    "request_key": (249, None, None, None, 0),
    "bpf": (321, 0xFFF, None, 0),
    "perf_event_open": (298, None, 0, -1, -1, 0),
    "kexec_load": (246, 0, 0, None, 0xFFFF0000),
    "init_module": (175, None, 0, None),
    "finit_module": (313, -1, b"", 0),
    "reboot": (169, 0, 0, 0, None),                        # wrong magic
    "swapon": (167, MISSING, 0),
    "pivot_root": (155, MISSING, MISSING),
}
results = {}
for name in {{syscalls}}:
    number, *args = CALLS[name]
    ctypes.set_errno(0)
    rc = libc.syscall(number, *args)
    err = ctypes.get_errno() if rc == -1 else 0
    results[name] = errno.errorcode.get(err, str(err)) if err else "ok"
denied = [name for name, outcome in results.items() if outcome == "EPERM"]
print(json.dumps({"probe": "seccomp_denied", "blocked": len(denied) == len(results),
                  "detail": results}))
