"""Is io_uring refused? io_uring_setup with valid parameters makes a ring on a host that
allows it (the negative control, run bare: a file descriptor, closed at once); inside the
sandbox it must fail with EPERM (the seccomp deny list) or ENOSYS (gVisor does not
implement io_uring). io_uring_enter and io_uring_register are called on fd -1: bare they
answer EBADF, refused they answer EPERM or ENOSYS."""
import ctypes
import errno
import json
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
IO_URING_SETUP, IO_URING_ENTER, IO_URING_REGISTER = 425, 426, 427   # x86_64, every ABI since 5.1
REFUSED = {"EPERM", "ENOSYS"}


def call(number, *args):
    ctypes.set_errno(0)
    rc = libc.syscall(number, *args)
    if rc == -1:
        err = ctypes.get_errno()
        return errno.errorcode.get(err, str(err)), rc
    return "ok", rc


params = ctypes.create_string_buffer(120)            # struct io_uring_params, zeroed
results = {}
results["io_uring_setup"], fd = call(IO_URING_SETUP, ctypes.c_uint(4), params)
if results["io_uring_setup"] == "ok":
    os.close(fd)
results["io_uring_enter"], _ = call(IO_URING_ENTER, ctypes.c_int(-1), ctypes.c_uint(0),
                                    ctypes.c_uint(0), ctypes.c_uint(0), None, ctypes.c_size_t(0))
results["io_uring_register"], _ = call(IO_URING_REGISTER, ctypes.c_int(-1), ctypes.c_uint(0),
                                       None, ctypes.c_uint(0))
print(json.dumps({"probe": "seccomp_io_uring",
                  "blocked": all(outcome in REFUSED for outcome in results.values()),
                  "detail": results}))
