"""Is an x32-ABI alias of a denied syscall refused by the filter? Calls mount with the x32
bit (0x40000000) set. A filter that only matches x86_64 numbers lets it reach the kernel,
which answers ENOSYS (x32 disabled, as on this host) or runs it (x32 enabled). Refused:
EPERM (nsjail's policy) or the process killed by SIGSYS (libseccomp's bad-ABI action),
in which case nothing is printed."""
import ctypes
import errno
import json

libc = ctypes.CDLL(None, use_errno=True)
ctypes.set_errno(0)
rc = libc.syscall(0x40000000 | 165, b"/nonexistent-evalplatform-probe",
                  b"/nonexistent-evalplatform-probe", b"tmpfs", 0, None)
outcome = errno.errorcode.get(ctypes.get_errno(), "ok") if rc == -1 else "ok"
print(json.dumps({"probe": "seccomp_x32_alias", "blocked": outcome == "EPERM",
                  "detail": outcome}))
