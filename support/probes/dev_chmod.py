"""Can the code change a device node of the host? The sandbox's devices are the host's
own nodes, bound in, so a chmod inside is a chmod on the host (chmod 000 /dev/null
breaks every host process that writes to it). Tries, on every character and block
device under /dev (not following symlinks), a chmod to the mode it already has: a
change of nothing, refused unless the code owns the node or is root. Isolation holds
when every one is refused."""
import json
import os
import stat

changeable, owners = [], {}
for directory, subdirs, files in os.walk("/dev"):
    for name in files + subdirs:
        path = os.path.join(directory, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)):
            continue
        owners[path] = st.st_uid
        try:
            os.chmod(path, stat.S_IMODE(st.st_mode), follow_symlinks=False)
            changeable.append(path)
        except (OSError, NotImplementedError):
            continue
print(json.dumps({"probe": "dev_chmod", "blocked": not changeable,
                  "detail": {"changeable": sorted(changeable)[:200], "uid": os.getuid(),
                             "owners": {p: owners[p] for p in sorted(changeable)[:20]}}}))
