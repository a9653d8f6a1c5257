"""Look for {{path}}: isolation holds when it does not exist for the code."""
import json
import os

try:
    os.lstat("{{path}}")
    verdict = {"blocked": False, "detail": "{{path}} exists"}
except OSError as exc:
    verdict = {"blocked": True, "detail": f"{type(exc).__name__}: {exc}"}
print(json.dumps({"probe": "fs_exists", **verdict}))
