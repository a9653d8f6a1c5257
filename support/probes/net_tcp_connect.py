"""Open a TCP connection to {{host}}:{{port}}: isolation holds when it cannot be made."""
import json
import socket

try:
    with socket.create_connection(("{{host}}", {{port}}), timeout=3):
        verdict = {"blocked": False, "detail": "connected to {{host}}:{{port}}"}
except OSError as exc:
    verdict = {"blocked": True, "detail": f"{type(exc).__name__}: {exc}"}
print(json.dumps({"probe": "net_tcp_connect", **verdict}))
