"""Does the code run as root? Isolation holds when none of its real, effective or saved
user and group ids, nor any supplementary group, is 0 (amicontained, Pod Security
"restricted": runAsNonRoot)."""
import json
import os

uids, gids, groups = os.getresuid(), os.getresgid(), os.getgroups()
root = [name for name, value in (("uid", uids[0]), ("euid", uids[1]), ("suid", uids[2]),
                                 ("gid", gids[0]), ("egid", gids[1]), ("sgid", gids[2]))
        if value == 0] + (["group 0"] if 0 in groups else [])
print(json.dumps({"probe": "priv_not_root", "blocked": not root,
                  "detail": {"resuid": uids, "resgid": gids, "groups": groups, "root": root}}))
