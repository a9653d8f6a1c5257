"""Does any file descriptor other than stdin, stdout and stderr reach the code? An fd
inherited from the launcher (a seccomp program, a status pipe, a worker's socket) is a
handle on something outside the sandbox. Lists /proc/self/fd; the listing's own
directory fd is closed again by then, so only what was inherited is still open."""
import json
import os

listed = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
inherited = {}
for fd in listed:
    try:
        os.fstat(fd)
    except OSError:
        continue        # the directory fd of the listing above, closed since
    try:
        inherited[fd] = os.readlink(f"/proc/self/fd/{fd}")
    except OSError as exc:
        inherited[fd] = f"unreadable: {exc.strerror}"
extra = {str(fd): target for fd, target in inherited.items() if fd > 2}
print(json.dumps({"probe": "fd_inherited", "blocked": not extra,
                  "detail": {"open": sorted(inherited), "beyond_stdio": extra}}))
