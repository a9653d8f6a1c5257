"""The evaluation container's command: it runs the program and reports how it ended.

Why a wrapper: the Kubernetes logs API merges stdout and stderr into one stream and
cannot say which byte came from which. So the program's stdout is relayed live to the
container's stdout (the log the executor follows), its stderr is kept apart, and when the
program has ended the runner appends one trailer line, `TRAILER` + JSON, holding the
stderr (base64), the exit code or signal, the runner's own reason (timeout,
output_limit) and the truncation flags. The trailer is written after the program and
every process it started are dead and their pipes closed, so it is always the log's last
line; the parser (evalplatform/executor/kubernetes/logs.py) takes the last occurrence.

The runner also enforces the exact wall-clock timeout (the Job's activeDeadlineSeconds
is only a backstop that also covers scheduling and image pull) and the output caps.

It is executed as `python -I -c <this source> CODE TIMEOUT STDOUT_CAP STDERR_CAP` inside
whatever image the environment names, so it uses the standard library only.
"""

import base64
import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import time

TRAILER = b"\n\x1eevalplatform-result "
EXIT_TIMEOUT = 124  # the container's exit code when the runner killed the program at its timeout


class Capture:
    """One stream of the program: up to `cap` bytes kept or relayed, the rest counted as truncation."""

    def __init__(self, cap, sink=None):
        self.cap, self.sink, self.kept, self.truncated = cap, sink, bytearray(), False

    def take(self, chunk):
        room = self.cap - len(self.kept)
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[:max(room, 0)]
        self.kept += chunk
        if self.sink is not None and chunk:
            self.sink.write(chunk)
            self.sink.flush()


def run(code_path, timeout_s, stdout_cap, stderr_cap, out=None):
    """Run the program to its end; return the trailer's fields (a dict)."""
    out = out if out is not None else sys.stdout.buffer
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-I", code_path], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    streams = {child.stdout: Capture(stdout_cap, out), child.stderr: Capture(stderr_cap)}
    selector = selectors.DefaultSelector()
    for pipe in streams:
        os.set_blocking(pipe.fileno(), False)
        selector.register(pipe, selectors.EVENT_READ)
    reason = None
    deadline = started + timeout_s
    while selector.get_map():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            reason = "timeout"
            break
        if pump(selector, streams, min(remaining, 0.2)):
            reason = "output_limit"
        if reason or child.poll() is not None and not selector.select(0):
            break
    kill_group(child.pid)
    status = child.wait()
    # What the program wrote before it was stopped is still in the pipes: keep it (capped).
    drain_until = time.monotonic() + 1.0
    while selector.get_map() and time.monotonic() < drain_until:
        pump(selector, streams, 0.1)
    stdout, stderr = streams[child.stdout], streams[child.stderr]
    return {
        "exit_code": status if status >= 0 else None,
        "signal": -status if status < 0 else None,
        "reason": reason,
        "stdout_truncated": stdout.truncated,
        "stderr_truncated": stderr.truncated,
        "runtime_ms": int((time.monotonic() - started) * 1000),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "stderr_b64": base64.b64encode(bytes(stderr.kept)).decode("ascii"),
    }


def pump(selector, streams, wait_s):
    """Move what is ready from the pipes into their captures; True once a cap was passed."""
    for key, _ in selector.select(wait_s):
        chunk = key.fileobj.read(65536)
        if not chunk:
            selector.unregister(key.fileobj)
            continue
        streams[key.fileobj].take(chunk)
    return any(capture.truncated for capture in streams.values())


def kill_group(pgid):
    """Kill the program and everything it started (they share its session's process group)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def container_exit_code(result):
    """What the container exits with, so the Pod's own state agrees with the trailer."""
    if result["reason"] == "timeout":
        return EXIT_TIMEOUT
    if result["signal"]:
        return 128 + result["signal"]
    return result["exit_code"]


def main(argv):
    code_path, timeout_s, stdout_cap, stderr_cap = argv[1], float(argv[2]), int(argv[3]), int(argv[4])
    result = run(code_path, timeout_s, stdout_cap, stderr_cap)
    sys.stdout.buffer.write(TRAILER + json.dumps(result, separators=(",", ":")).encode() + b"\n")
    sys.stdout.buffer.flush()
    return container_exit_code(result)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
