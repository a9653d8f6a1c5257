"""Does a DNS query reach a resolver the test runs on the host's 127.0.0.1 (UDP)?"""
import json
import socket
import struct

PORT = {{port}}
# A standard query for "probe.invalid", type A, with a fixed id the test's resolver echoes.
query = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + b"\x05probe\x07invalid\x00" \
    + struct.pack(">HH", 1, 1)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(1.0)
try:
    sock.sendto(query, ("127.0.0.1", PORT))
    answer, _ = sock.recvfrom(512)
    blocked = answer[:2] != b"\x42\x42"
    seen = f"answer of {len(answer)} bytes"
except OSError as exc:
    seen, blocked = f"{type(exc).__name__}: {exc}", True
print(json.dumps({"probe": "net_dns_query", "blocked": blocked, "detail": seen}))
