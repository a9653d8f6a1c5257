"""Is the scratch (cwd) size-limited? Writes files of 1 MiB until ENOSPC or {{max_mb}} MiB."""
import errno
import json
import os

written = 0
stopped = "wrote everything"
try:
    while written < {{max_mb}}:
        with open(f"fill-{written}", "wb") as fh:
            fh.write(b"\0" * (1024 * 1024))
        written += 1
except OSError as exc:
    stopped = errno.errorcode.get(exc.errno, str(exc.errno))
finally:
    for i in range(written + 1):
        if os.path.exists(f"fill-{i}"):
            os.unlink(f"fill-{i}")
print(json.dumps({"probe": "fs_scratch_limit", "blocked": stopped == "ENOSPC",
                  "detail": f"{written} MiB written, then {stopped}"}))
