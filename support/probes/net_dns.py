"""Resolve {{query_name}} through the system resolver, and by asking the DNS server at
{{host}}:{{port}} directly: isolation holds when neither answers."""
import json
import socket
import struct

NAME = "{{query_name}}"
seen = []

try:
    addresses = sorted({info[4][0] for info in socket.getaddrinfo(NAME, None)})
    seen.append(f"system resolver answered {addresses}")
except OSError as exc:
    seen.append(f"system resolver: {type(exc).__name__}: {exc}")
    addresses = []

# A minimal DNS query: header (id, recursion desired, one question), QNAME, type A, class IN.
query = struct.pack(">HHHHHH", 0x5eed, 0x0100, 1, 0, 0, 0)
query += b"".join(bytes([len(label)]) + label.encode() for label in NAME.split(".")) + b"\0"
query += struct.pack(">HH", 1, 1)
answered = False
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(1)
        udp.sendto(query, ("{{host}}", {{port}}))
        reply, _ = udp.recvfrom(512)
        answered = reply[:2] == query[:2] and struct.unpack(">H", reply[6:8])[0] > 0
        seen.append(f"DNS server {{host}}:{{port}} answered {len(reply)} bytes")
except OSError as exc:
    seen.append(f"DNS server {{host}}:{{port}}: {type(exc).__name__}: {exc}")

print(json.dumps({"probe": "net_dns", "blocked": not addresses and not answered, "detail": "; ".join(seen)}))
