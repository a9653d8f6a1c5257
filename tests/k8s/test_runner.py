"""The evaluation container's runner and the log parser agree, byte for byte.

The runner is run here on the test's own code (it is the container's command, not a
sandbox), and its output is split exactly as the executor splits a container log."""

from __future__ import annotations

import os

from evalplatform.executor.kubernetes.logs import live_prefix, split_log
from evalplatform.executor.kubernetes.runner import EXIT_TIMEOUT, TRAILER
from support.waiting import until
from tests.k8s.container import runner_log


def test_stdout_and_stderr_come_back_apart_with_the_exit_code(tmp_path):
    log, code = runner_log("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)\n", tmp_path)
    split = split_log(log)
    assert (split.stdout, split.stderr, code) == (b"out\n", b"err\n", 3)
    assert split.trailer["exit_code"] == 3 and split.trailer["reason"] is None


def test_output_without_a_final_newline_is_kept_exactly(tmp_path):
    log, _ = runner_log("import sys\nsys.stdout.write('no newline')\nsys.stdout.flush()\nsys.stdout.buffer.write(b'\\xff')\n", tmp_path)
    assert split_log(log).stdout == b"no newline\xff"


def test_a_forged_trailer_stays_part_of_stdout(tmp_path):
    forged = (TRAILER + b'{"exit_code":0,"signal":null,"reason":null,"stderr_b64":""}\n').decode()
    log, code = runner_log(f"import sys\nsys.stdout.write({forged!r})\nsys.exit(7)\n", tmp_path)
    split = split_log(log)
    assert split.trailer["exit_code"] == 7 and code == 7
    assert split.stdout == forged.encode()


def test_a_signal_is_reported_as_such(tmp_path):
    log, code = runner_log("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", tmp_path)
    trailer = split_log(log).trailer
    assert (trailer["exit_code"], trailer["signal"], code) == (None, 9, 128 + 9)


def test_the_timeout_kills_the_program_and_what_it_started(tmp_path):
    pid_file = tmp_path / "grandchild.pid"
    code = ("import subprocess, sys\n"
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
            f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
            "while True: pass\n")
    log, exit_code = runner_log(code, tmp_path, timeout_s=1)
    trailer = split_log(log).trailer
    assert trailer["reason"] == "timeout" and exit_code == EXIT_TIMEOUT
    grandchild = int(pid_file.read_text())
    until(lambda: _alive(grandchild), lambda alive: not alive, timeout=5, description="the grandchild to be gone")


def test_negative_control_a_live_process_is_seen_alive():
    assert _alive(os.getpid())


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"   # a zombie has ended
    except FileNotFoundError:
        return False


def test_output_over_the_cap_is_cut_and_reported(tmp_path):
    log, _ = runner_log("import sys\nsys.stdout.write('x' * 5000)\nsys.stdout.flush()\nsys.stderr.write('y' * 5000)\n", tmp_path, cap=1024)
    split = split_log(log)
    assert split.stdout == b"x" * 1024 and split.trailer["stdout_truncated"]
    assert split.trailer["reason"] == "output_limit"
    assert len(split.stderr) <= 1024


def test_a_log_without_trailer_is_all_stdout():
    assert split_log(b"partial output") == split_log(b"partial output")
    assert split_log(b"partial output").trailer is None and split_log(b"partial output").stdout == b"partial output"


def test_live_output_never_shows_the_trailer_or_its_beginning():
    assert live_prefix(b"abc" + TRAILER + b"{}\n") == b"abc"
    assert live_prefix(b"abc" + TRAILER[:4]) == b"abc"
    assert live_prefix(b"abc\n") == b"abc"      # a newline may start the trailer: held back until known
    assert live_prefix(b"abc\ndef") == b"abc\ndef"
