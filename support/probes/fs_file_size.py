"""Is one file's size limited (RLIMIT_FSIZE)? Writes {{mb}} MiB to one file in cwd."""
import errno
import json
import os

stopped = "wrote everything"
try:
    with open("big-file", "wb") as fh:
        for _ in range({{mb}}):
            fh.write(b"\0" * (1024 * 1024))
except OSError as exc:
    stopped = errno.errorcode.get(exc.errno, str(exc.errno))
finally:
    if os.path.exists("big-file"):
        os.unlink("big-file")
print(json.dumps({"probe": "fs_file_size", "blocked": stopped == "EFBIG", "detail": stopped}))
