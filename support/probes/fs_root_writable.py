"""Can code create files outside its scratch: in /, /usr, the interpreter's prefix, /eval?"""
import json
import os
import uuid

PATHS = {{paths}}
written = []
for directory in PATHS:
    target = os.path.join(directory, f".evalplatform-probe-{uuid.uuid4().hex}")
    try:
        with open(target, "x") as fh:
            fh.write("probe")
    except OSError:
        continue
    written.append(directory)
    os.unlink(target)
print(json.dumps({"probe": "fs_root_writable", "blocked": not written,
                  "detail": f"writable: {written}"}))
