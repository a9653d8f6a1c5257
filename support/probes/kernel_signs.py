"""The kernel the code runs on, and whether it shows the signs of gVisor (docs/gvisor.md).

gVisor's Sentry answers for the kernel: its synthetic kernel log (syslog(2)) says
"Starting gVisor...", its /proc/cmdline names a gvisor image, and it has the Sentry-only
/proc/sentry-meminfo. On Linux (nsjail, bubblewrap) none of these holds.
Not an isolation verdict: it prints {"probe", "signs_held", "signs_checked", "detail"}.
"""
import ctypes
import json
import os


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"


signs = {"release": os.uname().release, "proc_version": read("/proc/version"),
         "cmdline": read("/proc/cmdline"), "sentry_meminfo": os.path.exists("/proc/sentry-meminfo")}

SYSLOG_ACTION_READ_ALL = 3
buffer = ctypes.create_string_buffer(4096)
try:
    libc = ctypes.CDLL(None, use_errno=True)
    n = libc.klogctl(SYSLOG_ACTION_READ_ALL, buffer, len(buffer))
    signs["kernel_log"] = buffer.raw[:n].decode(errors="replace")[:300] if n >= 0 else f"errno {ctypes.get_errno()}"
except OSError as exc:
    signs["kernel_log"] = f"{type(exc).__name__}: {exc}"

held = {"kernel log says gVisor": "gVisor" in signs["kernel_log"],
        "cmdline names gvisor": "gvisor" in signs["cmdline"],
        "/proc/sentry-meminfo exists": signs["sentry_meminfo"]}
print(json.dumps({"probe": "kernel_signs", "signs_held": [name for name, ok in held.items() if ok],
                  "signs_checked": len(held), "detail": signs}))
