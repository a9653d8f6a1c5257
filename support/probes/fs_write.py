"""Create a file in {{path}}: isolation holds when it cannot be created."""
import json
import os
import tempfile

try:
    fd, name = tempfile.mkstemp(dir="{{path}}", prefix=".probe-")
    os.write(fd, b"written")
    os.close(fd)
    os.unlink(name)
    verdict = {"blocked": False, "detail": f"created and removed {name}"}
except OSError as exc:
    verdict = {"blocked": True, "detail": f"{type(exc).__name__}: {exc}"}
print(json.dumps({"probe": "fs_write", **verdict}))
