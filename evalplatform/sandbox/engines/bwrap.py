"""bubblewrap (fallback engine): Debian `bubblewrap`, started as root without a user
namespace.

Why not bwrap's unprivileged user-namespace mode: the interpreter prefix lives under
/root (mode 0700), which uid 65534 cannot reach even to bind it, and mapping the sandbox
user onto host root would be worse. So bwrap builds the namespaces and mounts as root,
keeping only CAP_SETUID/SETGID/SETPCAP for its child, which execs `setpriv` to become
uid/gid 65534 with no groups, no capabilities (bounding set emptied) and no_new_privs,
and then `env -i` with exactly the plan's variables (bwrap always exports PWD).

bwrap is started with an EMPTY environment (`env -i`): its pid-1 helper would otherwise
keep the launcher's environment readable in /proc/1/environ. The seccomp policy arrives as a BPF
program on a memfd (--seccomp); --json-status-fd tells a setup failure (no "exit-code"
record) from the program's own exit.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Optional

from evalplatform import failpoints
from evalplatform.sandbox import hostview, seccomp
from evalplatform.sandbox.engines.base import ISOLATION, Availability, Launch, RunPlan, plan_layout

STATUS_NAME = "bwrap-status.json"
KEPT_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP")


@lru_cache(maxsize=1)
def _version() -> str:
    out = subprocess.run(["bwrap", "--version"], capture_output=True, text=True, env={})
    return out.stdout.strip().removeprefix("bubblewrap ").strip()


def _parents(path: str) -> list[str]:
    """/a/b/c -> ["/a", "/a/b"]: directories bwrap must create (0755) before binding c."""
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


class BwrapEngine:
    name = "bwrap"
    capabilities = ISOLATION

    def availability(self) -> Availability:
        missing = [tool for tool in ("bwrap", "setpriv", "env") if not shutil.which(tool)]
        if missing:
            return Availability(False, detail=f"missing {missing}: apt-get install bubblewrap "
                                              "util-linux coreutils")
        if os.geteuid() != 0:
            return Availability(False, _version(), "bwrap here runs as root (see bwrap.py)")
        try:
            seccomp.bpf_program()
        except (ImportError, OSError) as exc:
            return Availability(False, _version(), f"seccomp BPF unavailable ({exc}): "
                                "pip install pyseccomp; apt-get install libseccomp2")
        return Availability(True, _version())

    def launch(self, plan: RunPlan) -> Launch:
        program_fd = os.memfd_create("evalplatform-seccomp")
        os.write(program_fd, seccomp.bpf_program())
        os.lseek(program_fd, 0, os.SEEK_SET)
        status_fd = os.open(Path(plan.workdir) / STATUS_NAME,
                            os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        return Launch(self._argv(plan, program_fd, status_fd), (program_fd, status_fd))

    def _argv(self, plan: RunPlan, seccomp_fd: int, status_fd: int) -> list[str]:
        # `env -i`: the launching shell exports PWD (bash also _ and SHLVL), and bwrap's
        # pid-1 helper would keep them in /proc/1/environ.
        argv = ["/usr/bin/env", "-i", shutil.which("bwrap"),
                *([] if failpoints.active("shared_ipc") else ["--unshare-ipc"]),
                *([] if failpoints.active("no_pidns") else ["--unshare-pid"]),
                *([] if failpoints.active("no_netns") else ["--unshare-net"]),
                "--unshare-uts", "--unshare-cgroup-try", "--die-with-parent", "--new-session",
                "--hostname", plan.hostname, "--cap-drop", "ALL"]
        for cap in KEPT_CAPS:
            argv += ["--cap-add", cap]
        created: set[str] = set()
        bound: list[str] = []
        for mount in plan_layout(plan):
            for parent in _parents(mount.path):
                # Only on the sandbox's own root: inside a bind the directory is the host's.
                if parent not in created and not any(parent == b or parent.startswith(b + "/")
                                                     for b in bound):
                    argv += ["--perms", "0755", "--dir", parent]
                    created.add(parent)
            if mount.kind == "symlink":
                argv += ["--symlink", mount.target, mount.path]
            else:
                argv += ["--ro-bind", mount.host_path, mount.path]
                bound.append(mount.path)
        argv += ["--size", str(plan.limits.scratch_mb * 1024 * 1024), "--perms", "1777",
                 "--tmpfs", plan.scratch_dir, "--symlink", plan.scratch_dir, "/tmp",
                 "--proc", "/proc", *hostview.bwrap_args(), *_dev_args(),
                 *(["--chmod", "1777", "/"] if failpoints.active("root_writable") else ["--remount-ro", "/"]),
                 "--chdir", plan.scratch_dir,
                 *([] if failpoints.active("seccomp_off") else ["--seccomp", str(seccomp_fd)]), "--json-status-fd", str(status_fd), "--",
                 shutil.which("setpriv"), f"--reuid={plan.uid}", f"--regid={plan.gid}",
                 "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
                 shutil.which("env"), "-i", *(f"{k}={v}" for k, v in plan.env.items()),
                 *plan.program]
        return argv

    def setup_error(self, plan: RunPlan) -> Optional[str]:
        try:
            lines = (Path(plan.workdir) / STATUS_NAME).read_text().splitlines()
        except OSError:
            return "bwrap left no status"
        records = [json.loads(line) for line in lines if line.strip()]
        if any("exit-code" in record for record in records):
            return None
        return "bwrap failed before running the program (see stderr)"


# bwrap's own `--dev` also brings /dev/full and a /dev/pts with an openable ptmx; the
# sandbox promises only these four devices (and the standard fd links).
DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom")


def _dev_args() -> list[str]:
    args = ["--tmpfs", "/dev"]
    for device in DEVICES:
        args += ["--dev-bind", device, device]
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        args += ["--symlink", target, f"/dev/{name}"]
    return args
