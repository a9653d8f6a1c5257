"""Does any visible process's /proc/<pid>/environ (pid 1 included) hold the launcher's
environment? The test puts {{marker}} in the launching process's environment."""
import json
import os

MARKER = b"{{marker}}"
leaks, pid1 = [], "unreadable"
for pid in (p for p in os.listdir("/proc") if p.isdigit()):
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            environ = fh.read()
    except OSError:
        continue
    if pid == "1":
        pid1 = sorted(v.split(b"=", 1)[0].decode() for v in environ.split(b"\0") if v)
    if MARKER in environ:
        leaks.append(pid)
print(json.dumps({"probe": "proc_environ_leak", "blocked": not leaks,
                  "detail": {"leaking_pids": leaks[:5], "pid1_vars": pid1}}))
