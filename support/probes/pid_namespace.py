"""Is code in its own PID namespace: few visible processes, none of the host's?"""
import json
import os

pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
with open("/proc/1/cmdline", "rb") as fh:
    init = fh.read().split(b"\0")[0].decode(errors="replace")
print(json.dumps({"probe": "pid_namespace", "blocked": len(pids) <= 5 and os.getpid() <= 5,
                  "detail": {"pids": pids[:10], "own_pid": os.getpid(), "pid1": init}}))
