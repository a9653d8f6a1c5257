"""Which network interfaces can code see? Isolated: only the namespace's own `lo`."""
import json
import socket

names = sorted(name for _, name in socket.if_nameindex())
print(json.dumps({"probe": "net_interfaces", "blocked": names == ["lo"], "detail": names}))
