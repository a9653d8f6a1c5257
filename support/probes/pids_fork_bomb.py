"""Is the number of processes limited? Forks up to {{max_children}} sleeping children;
isolated, fork fails (EAGAIN) well before that. The children are always reaped."""
import json
import os
import signal
import time

children, stopped = [], "forked everything"
try:
    for _ in range({{max_children}}):
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)
except OSError as exc:
    stopped = f"{type(exc).__name__}: {exc}"
finally:
    for pid in children:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
print(json.dumps({"probe": "pids_fork_bomb", "blocked": len(children) < {{max_children}},
                  "detail": f"{len(children)} children, then {stopped}"}))
