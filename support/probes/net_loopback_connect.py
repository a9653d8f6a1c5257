"""Can code connect to a TCP listener the test opened on the host's 127.0.0.1?"""
import json
import socket

PORT = {{port}}
try:
    with socket.create_connection(("127.0.0.1", PORT), timeout=2) as conn:
        conn.sendall(b"probe")
        seen, blocked = "connected to the host's listener", False
except OSError as exc:
    seen, blocked = f"{type(exc).__name__}: {exc}", True
print(json.dumps({"probe": "net_loopback_connect", "blocked": blocked, "detail": seen}))
