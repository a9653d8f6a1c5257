"""Does anything of the platform's reach the code through an environment: its own, or
that of any process it can see (/proc/1/environ: the sandbox's init, which may hold the
launcher's environment; deepce, botb)? A leak is a variable whose NAME looks like
configuration or a credential, or whose VALUE holds one of {{needles}} (the platform's
addresses and URLs, as the suite knows them). Isolation holds when there is none."""
import json
import os
import re

NEEDLES = [n.encode() for n in {{needles}} if n]
SUSPECT = re.compile(rb"^(EVALPLATFORM|CELERY|REDIS|DATABASE|POSTGRES|PG|KUBERNETES|K8S|KUBECONFIG|AWS|GOOGLE|AZURE|"
                     rb"DOCKER|API_URL)|(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|_KEY|_URL|_DSN)$", re.I)


def leaks_in(environ: bytes) -> list[str]:
    found = []
    for entry in filter(None, environ.split(b"\0")):
        name, _, value = entry.partition(b"=")
        if SUSPECT.search(name) or any(needle in value for needle in NEEDLES):
            found.append(name.decode(errors="replace"))
    return found


environments = {"self": b"\0".join(f"{k}={v}".encode() for k, v in os.environ.items())}
for pid in (p for p in os.listdir("/proc") if p.isdigit()):
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            environments[f"/proc/{pid}/environ"] = fh.read()
    except OSError:
        continue
leaks = {where: found for where, environ in environments.items() if (found := leaks_in(environ))}
print(json.dumps({"probe": "env_platform_leak", "blocked": not leaks,
                  "detail": {"leaks": dict(list(leaks.items())[:5]),
                             "read": sorted(environments)[:10]}}))
