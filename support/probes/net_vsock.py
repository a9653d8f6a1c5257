"""Can the code open an AF_VSOCK socket? vsock is not isolated by network namespaces: on a
VM it reaches the hypervisor and its agents. Only socket(2) is called, never connect:
making the socket is the breach. Run bare on a host with vsock (the negative control),
a stream socket is created (datagrams need a transport that supports them)."""
import json
import socket

AF_VSOCK = 40
outcomes = {}
for name, kind in (("stream", socket.SOCK_STREAM), ("datagram", socket.SOCK_DGRAM)):
    try:
        socket.socket(AF_VSOCK, kind).close()
        outcomes[name] = "created"
    except OSError as exc:
        outcomes[name] = f"refused: {exc.strerror}"
print(json.dumps({"probe": "net_vsock", "blocked": "created" not in outcomes.values(),
                  "detail": outcomes}))
