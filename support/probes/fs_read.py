"""Read {{path}}: isolation holds when it cannot be read."""
import json

try:
    with open("{{path}}", "rb") as f:
        head = f.read(16)
    verdict = {"blocked": False, "detail": f"read {len(head)} bytes"}
except OSError as exc:
    verdict = {"blocked": True, "detail": f"{type(exc).__name__}: {exc}"}
print(json.dumps({"probe": "fs_read", **verdict}))
