"""Prints, as JSON, what the runner handed the command: the placeholders' values (passed
in the environment by the test's prefix), the cwd and the probe's own file name."""
import json
import os

print(json.dumps({"timeout": os.environ.get("SUITE_T"), "memory_mb": os.environ.get("SUITE_M"),
                  "memory_bytes": os.environ.get("SUITE_B"), "scratch": os.environ.get("SUITE_S"),
                  "output_bytes": os.environ.get("SUITE_OUT"),
                  "cwd": os.getcwd(), "file": globals().get("__file__")}))
