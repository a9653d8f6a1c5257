"""Can the code open the kernel's control files for writing: /proc/sysrq-trigger,
/proc/sys, /sys, cgroup files (release_agent: the classic cgroup v1 escape; CDK, deepce,
botb)? Each path or glob of {{paths}}, plus the files of the code's own cgroup(s) as
/proc/self/cgroup names them, is opened O_WRONLY and closed at once: nothing is ever
written. Isolation holds when none opens."""
import glob
import json
import os

candidates = set()
for pattern in {{paths}}:
    candidates.update(glob.glob(pattern) if any(c in pattern for c in "*?[") else [pattern])
try:
    with open("/proc/self/cgroup") as fh:
        for line in fh.read().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in (controllers.split(",") if controllers else [""]):
                base = os.path.join("/sys/fs/cgroup", controller.removeprefix("name="), path.lstrip("/"))
                candidates.update(os.path.join(base, name) for name in (
                    "cgroup.procs", "tasks", "memory.limit_in_bytes", "memory.max", "pids.max",
                    "notify_on_release", "cgroup.subtree_control"))
except OSError:
    pass
writable, absent, refused = [], 0, 0
for path in sorted(candidates):
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK))
        writable.append(path)
    except FileNotFoundError:
        absent += 1
    except OSError:
        refused += 1
print(json.dumps({"probe": "kernel_files_writable", "blocked": not writable,
                  "detail": {"writable": writable[:20], "refused": refused, "absent": absent}}))
