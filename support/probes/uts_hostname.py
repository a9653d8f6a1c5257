"""Does code see its own hostname instead of the host's {{host_hostname}}?"""
import json
import socket

name = socket.gethostname()
print(json.dumps({"probe": "uts_hostname", "blocked": name != "{{host_hostname}}",
                  "detail": name}))
