"""What does the code learn of the host through /proc and /sys? Each of {{hidden}} is
read (a file: its first bytes; a directory: its entries); one with content is a host fact
the sandbox should not show. {{visible}} are what the interpreter needs: they must stay
readable, or isolation has broken the code instead of hiding the host. Run bare as root
(the negative control), the host's kernel symbols, boot line and devices are readable."""
import json
import os

hidden, visible = {{hidden}}, {{visible}}


def content(path):
    try:
        if os.path.isdir(path):
            return len(os.listdir(path))
        with open(path, "rb") as f:
            return len(f.read(256))
    except OSError:
        return 0


readable = [p for p in hidden if content(p)]
missing = [p for p in visible if not content(p)]
print(json.dumps({"probe": "proc_host_facts", "blocked": not readable,
                  "detail": {"readable": readable, "visible_missing": missing}}))
