"""No capabilities, no_new_privs and a seccomp filter. {{field}} selects the claim:
CapEff (from /proc/self/status, must be 0), Seccomp (/proc/self/status, mode 2) or
NoNewPrivs (asked of the kernel with prctl(PR_GET_NO_NEW_PRIVS), must be 1: gVisor's
/proc/self/status has no NoNewPrivs line)."""
import ctypes
import json

FIELD, HELD = "{{field}}", {"CapEff": 0, "NoNewPrivs": 1, "Seccomp": 2}
PR_GET_NO_NEW_PRIVS = 39
if FIELD == "NoNewPrivs":
    value = ctypes.CDLL(None, use_errno=True).prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
    shown = str(value)
else:
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    shown = status[FIELD].strip()
    value = int(shown, 16 if FIELD == "CapEff" else 10)
print(json.dumps({"probe": f"privileges_{FIELD}", "blocked": value == HELD[FIELD],
                  "detail": shown}))
