"""Is a host process visible? The suite starts one on the host with {{marker}} on its
command line; isolation holds when no /proc/<pid>/cmdline the code can read holds it."""
import json
import os

MARKER = b"{{marker}}"
pids = [p for p in os.listdir("/proc") if p.isdigit()]
found = []
for pid in pids:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            if MARKER in fh.read():
                found.append(int(pid))
    except OSError:
        continue
found = [pid for pid in found if pid != os.getpid()]
print(json.dumps({"probe": "proc_host_process", "blocked": not found,
                  "detail": {"marker_pids": found, "visible_pids": len(pids)}}))
