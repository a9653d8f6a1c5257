"""Can the code become root? Tries setuid(0), setresuid(0, 0, 0), setgid(0) and
setgroups([0]); isolation holds when every one is refused. Run bare as root (the negative
control) each succeeds: the process already holds those ids."""
import json
import os

attempts = {"setuid(0)": lambda: os.setuid(0), "setresuid(0,0,0)": lambda: os.setresuid(0, 0, 0),
            "setgid(0)": lambda: os.setgid(0), "setgroups([0])": lambda: os.setgroups([0])}
outcomes = {}
for name, attempt in attempts.items():
    try:
        attempt()
        outcomes[name] = "ok"
    except OSError as exc:
        outcomes[name] = f"{type(exc).__name__}: {exc.strerror}"
succeeded = [name for name, outcome in outcomes.items() if outcome == "ok"]
print(json.dumps({"probe": "priv_setuid_root", "blocked": not succeeded,
                  "detail": {"outcomes": outcomes, "euid": os.geteuid()}}))
