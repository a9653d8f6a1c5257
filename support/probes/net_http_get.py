"""Fetch {{url}}: isolation holds when no HTTP answer comes back."""
import json
import urllib.request

try:
    with urllib.request.urlopen("{{url}}", timeout=3) as answer:
        verdict = {"blocked": False, "detail": f"HTTP {answer.status}: {answer.read(200)!r}"}
except OSError as exc:   # URLError, ConnectionRefusedError, timeouts
    verdict = {"blocked": True, "detail": f"{type(exc).__name__}: {exc}"}
print(json.dumps({"probe": "net_http_get", **verdict}))
