"""SysV IPC objects (shared memory, message queue, semaphore set) under keys derived from
{{marker}}. mode "leave": create one of each and leave them; mode "look": report which
exist (a key that exists but is not ours to open, EACCES, exists all the same), removing
those we may remove when {{remove}} is true. With a private IPC namespace per
evaluation, what one leaves is gone for the next, and the host's are invisible; bare on
the host (the negative control) "look" finds them: blocked: false."""
import ctypes
import errno
import json
import zlib

libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT, IPC_EXCL, IPC_RMID = 0o1000, 0o2000, 0
base = zlib.crc32(b"{{marker}}") & 0x3FFFFFF0
KINDS = {
    "shm": (base + 1, lambda key, flags: libc.shmget(key, 4096 if flags else 0, flags),
            lambda ident: libc.shmctl(ident, IPC_RMID, None)),
    "msg": (base + 2, lambda key, flags: libc.msgget(key, flags),
            lambda ident: libc.msgctl(ident, IPC_RMID, None)),
    "sem": (base + 3, lambda key, flags: libc.semget(key, 1 if flags else 0, flags),
            lambda ident: libc.semctl(ident, 0, IPC_RMID)),
}


def outcome(rc: int) -> str:
    return errno.errorcode.get(ctypes.get_errno(), "?") if rc == -1 else "ok"


seen = {}
for kind, (key, get, remove) in KINDS.items():
    ctypes.set_errno(0)
    if "{{mode}}" == "leave":
        seen[kind] = "left" if get(key, IPC_CREAT | IPC_EXCL | 0o600) != -1 else outcome(-1)
        continue
    ident = get(key, 0)
    if ident == -1:
        err = ctypes.get_errno()
        seen[kind] = "found (not ours)" if err == errno.EACCES else errno.errorcode.get(err, "?")
        continue
    seen[kind] = "found"
    if {{remove}}:
        remove(ident)
found = sorted(kind for kind, what in seen.items() if what.startswith("found"))
print(json.dumps({"probe": "ipc_objects", "blocked": not found,
                  "detail": {"mode": "{{mode}}", "keys": {k: v[0] for k, v in KINDS.items()},
                             "seen": seen, "found": found}}))
