"""Fill the scratch directory (cwd) with 1 MiB files until the disk is full (ENOSPC) or
{{max_mb}} MiB are written, print "filled", then hold the files {{hold_s}} s, so the
host can measure its own free space while the scratch is full. Isolation holds when the
write stopped at ENOSPC: the scratch is a bounded disk of its own."""
import errno
import json
import os
import time

written, stopped = 0, "wrote everything"
try:
    while written < {{max_mb}}:
        with open(f"fill-{written}", "wb") as fh:
            fh.write(b"\1" * (1024 * 1024))
        written += 1
except OSError as exc:
    stopped = errno.errorcode.get(exc.errno, str(exc.errno))
print(f"filled {written} MiB", flush=True)
time.sleep({{hold_s}})
for i in range(written + 1):
    if os.path.exists(f"fill-{i}"):
        os.unlink(f"fill-{i}")
print(json.dumps({"probe": "fs_fill_hold", "blocked": stopped == "ENOSPC",
                  "detail": {"written_mb": written, "stopped": stopped}}))
