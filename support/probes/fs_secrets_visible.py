"""Can code see host secrets: /etc/shadow, /home, the project dir, /root beyond the
interpreter's prefix, host unix sockets (Redis, PostgreSQL, /tmp/*.sock)?"""
import glob
import json
import os

PATHS = {{paths}}                 # must not exist inside
ROOT_ALLOWED = {{root_allowed}}   # the only entry of /root that may be visible (or None)
seen = [p for p in PATHS if os.path.lexists(p)]
seen += [p for p in glob.glob("/tmp/*.sock") + glob.glob("/run/*/*.sock*")]
try:
    extra = sorted(set(os.listdir("/root")) - {ROOT_ALLOWED})
except OSError:
    extra = []
if extra:
    seen.append(f"/root entries {extra[:5]}")
print(json.dumps({"probe": "fs_secrets_visible", "blocked": not seen, "detail": seen}))
