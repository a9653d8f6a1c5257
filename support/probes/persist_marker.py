"""Does a file left by an earlier evaluation survive into this one? In each directory of
{{directories}} it first looks for the file {{marker}}, then leaves it there (so the
next run of this probe looks for it). Isolation holds when none was found. `planted`
says where leaving it worked: a directory that does not exist or is not writable
cannot carry anything over."""
import json
import os

paths = {directory: os.path.join(directory, "{{marker}}") for directory in {{directories}}}
found = [path for path in paths.values() if os.path.lexists(path)]
planted = {}
for directory, path in paths.items():    # only after looking: two of them may be one place
    try:
        with open(path, "w") as fh:
            fh.write("left by an earlier evaluation\n")
        planted[directory] = "left"
    except OSError as exc:
        planted[directory] = f"{type(exc).__name__}: {exc.strerror}"
print(json.dumps({"probe": "persist_marker", "blocked": not found,
                  "detail": {"found": found, "planted": planted}}))
