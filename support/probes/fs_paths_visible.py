"""Are any of {{paths}} visible to the code (credentials, configuration, data
directories)? Isolation holds when none exists for it (os.lstat fails)."""
import json
import os

seen = [path for path in {{paths}} if os.path.lexists(path)]
print(json.dumps({"probe": "fs_paths_visible", "blocked": not seen, "detail": {"visible": seen}}))
