"""Does a file left by an earlier evaluation survive into this one? In each directory of
{{directories}} it looks for the file {{marker}}. The first run ({{leave}} true) then
leaves it there, for the next run to look for; the next run ({{leave}} false) removes
what it found, so a sandbox that lets the file through does not keep it on its host.
Isolation holds when none was found. `planted` says where leaving it worked: a directory
that does not exist or is not writable cannot carry anything over."""
import json
import os

paths = {directory: os.path.join(directory, "{{marker}}") for directory in {{directories}}}
found = [path for path in paths.values() if os.path.lexists(path)]
planted, removed = {}, []
for directory, path in paths.items():    # only after looking: two of them may be one place
    if not {{leave}}:
        continue
    try:
        with open(path, "w") as fh:
            fh.write("left by an earlier evaluation\n")
        planted[directory] = "left"
    except OSError as exc:
        planted[directory] = f"{type(exc).__name__}: {exc.strerror}"
for path in found if not {{leave}} else []:
    try:
        os.unlink(path)
        removed.append(path)
    except OSError:
        pass
print(json.dumps({"probe": "persist_marker", "blocked": not found,
                  "detail": {"found": found, "planted": planted, "removed": removed}}))
