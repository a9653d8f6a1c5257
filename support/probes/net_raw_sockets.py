"""Can the code open raw or packet sockets (CAP_NET_RAW: spoofing, sniffing; amicontained,
CDK)? Only opens them, sends nothing. Isolation holds when every one is refused."""
import json
import socket

KINDS = {
    "AF_INET SOCK_RAW ICMP": (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
    "AF_INET SOCK_RAW TCP": (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP),
    "AF_INET6 SOCK_RAW ICMPV6": (socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
    "AF_PACKET SOCK_RAW": (socket.AF_PACKET, socket.SOCK_RAW, 0),
    "AF_PACKET SOCK_DGRAM": (socket.AF_PACKET, socket.SOCK_DGRAM, 0),
}
outcomes = {}
for name, (family, kind, proto) in KINDS.items():
    try:
        socket.socket(family, kind, proto).close()
        outcomes[name] = "opened"
    except OSError as exc:
        outcomes[name] = f"{type(exc).__name__}: {exc.strerror}"
opened = [name for name, outcome in outcomes.items() if outcome == "opened"]
print(json.dumps({"probe": "net_raw_sockets", "blocked": not opened, "detail": outcomes}))
