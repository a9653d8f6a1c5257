"""A sandbox's stdout and stderr passed on, each up to an output limit, and the run's end
said in the `command:` protocol's status file (`{output_bytes}`, `{status}`; docs/targets.md).

The strong wrappers take `--output-bytes N --status PATH` before their own arguments. Past
N bytes on either stream the sandbox is killed (SIGKILL to the process the wrapper started:
bwrap takes its namespace with it, runsc's leftovers die with the suite's net), what is
still in the pipes for a moment is read and dropped, and the status file says
`output_limit` and which stream was truncated. Without the options nothing changes: the
wrappers exec their sandbox as before.
"""

import json
import os
import selectors
import signal
import subprocess
import time

CHUNK = 65536
# After the kill, how long the wrapper still drains what the sandbox's processes wrote
# before it gives up on the pipes (processes it cannot reap may hold them open).
DRAIN_S = 0.5
OPTIONS = ("--output-bytes", "--status")


def options(argv: list[str]) -> tuple[int | None, str | None, list[str]]:
    """(limit, status path, the rest) from a wrapper's argv; both options or neither."""
    found: dict[str, str] = {}
    while argv and argv[0] in OPTIONS:
        name, value, *argv = argv
        found[name] = value
    if len(found) == 1:
        raise SystemExit(f"{' and '.join(OPTIONS)} go together")
    if not found:
        return None, None, argv
    return int(found["--output-bytes"]), found["--status"], argv


def run(argv: list[str], limit: int, status: str, **popen) -> int:
    """Run `argv` with its stdout and stderr passed on to ours, each capped at `limit`; its
    exit status (negative: the signal that ended it)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)
    if proc.stdin is not None:      # stdin=PIPE: an empty one (never a host device: runsc chowns its stdio)
        proc.stdin.close()
    selector = selectors.DefaultSelector()
    for stream, fd in ((proc.stdout, 1), (proc.stderr, 2)):
        os.set_blocking(stream.fileno(), False)
        selector.register(stream, selectors.EVENT_READ, fd)
    passed, truncated = {1: 0, 2: 0}, {1: False, 2: False}
    killed_at = None
    while selector.get_map():
        if killed_at is not None and time.monotonic() - killed_at > DRAIN_S:
            break
        for key, _ in selector.select(DRAIN_S):
            try:
                chunk = os.read(key.fileobj.fileno(), CHUNK)
            except BlockingIOError:
                continue
            if not chunk:
                selector.unregister(key.fileobj)
                continue
            fd = key.data
            room = max(limit - passed[fd], 0)
            if room:
                os.write(fd, chunk[:room])
                passed[fd] += min(room, len(chunk))
            if len(chunk) > room:
                truncated[fd] = True
                if killed_at is None:
                    proc.kill()
                    killed_at = time.monotonic()
    returncode = proc.wait()
    if killed_at is not None:
        with open(status, "w") as fh:
            json.dump({"reason": "output_limit", "output_truncated": truncated[1],
                       "error_truncated": truncated[2]}, fh)
    return returncode


def exit_as(returncode: int) -> None:
    """Exit as the sandbox did: with its status, or by the signal that ended it."""
    if returncode < 0:
        if -returncode not in (signal.SIGKILL, signal.SIGSTOP):    # those have no handler to reset
            signal.signal(-returncode, signal.SIG_DFL)
        os.kill(os.getpid(), -returncode)
    raise SystemExit(returncode)
