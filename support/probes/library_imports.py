"""Import every library in {{libraries}} (distribution names) and report what was found.

A distribution's import names come from the environment's own metadata
(scikit-learn -> sklearn), so no name mapping is hard-coded here.
Not an isolation verdict: it prints {"probe", "python_version", "libraries"}.
"""
import importlib
import importlib.metadata as metadata
import json
import platform

wanted = json.loads('{{libraries}}')
modules_of = {}
for module, distributions in metadata.packages_distributions().items():
    for distribution in distributions:
        modules_of.setdefault(distribution.lower(), []).append(module)

found = {}
for name in wanted:
    entry = {"modules": [], "error": None, "version": None}
    try:
        entry["version"] = metadata.version(name)
        candidates = [m for m in modules_of.get(name.lower(), []) if m.isidentifier() and not m.startswith("_")]
        for module in sorted(candidates) or [name.replace("-", "_")]:
            importlib.import_module(module)
            entry["modules"].append(module)
    except Exception as exc:  # report every failure, do not stop at the first
        entry["error"] = f"{type(exc).__name__}: {exc}"
    found[name] = entry
print(json.dumps({"probe": "library_imports", "python_version": platform.python_version(), "libraries": found}))
