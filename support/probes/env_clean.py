"""Is the environment emptied: only PATH, HOME, LANG and EVAL_ID?"""
import json
import os

extra = sorted(set(os.environ) - {"PATH", "HOME", "LANG", "EVAL_ID"})
print(json.dumps({"probe": "env_clean", "blocked": not extra, "detail": {
    "extra": extra, "EVAL_ID": os.environ.get("EVAL_ID")}}))
