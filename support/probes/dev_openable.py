"""Which devices can the code open? Every character and block device under /dev (not
following symlinks: /dev/fd, /dev/stdin... are the code's own descriptors) is opened
read-only, non-blocking, without becoming a controlling terminal, and closed at once.
Isolation holds when none opens beyond {{allowed}}. Watchdog devices are never opened:
opening one arms it, and run bare (the negative control) that would reboot the host."""
import json
import os
import stat

ALLOWED = set({{allowed}})
opened, refused = [], {}
for directory, subdirs, files in os.walk("/dev"):
    for name in files + subdirs:
        path = os.path.join(directory, name)
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        if not (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) or "watchdog" in name:
            continue
        try:
            os.close(os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK))
            opened.append(path)
        except OSError as exc:
            refused[path] = exc.strerror
beyond = sorted(p for p in opened if p.removeprefix("/dev/") not in ALLOWED)
print(json.dumps({"probe": "dev_openable", "blocked": not beyond,
                  "detail": {"beyond_allowed": beyond[:20], "opened": sorted(opened)[:20],
                             "refused": len(refused)}}))
