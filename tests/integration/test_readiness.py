"""supervise.Readiness: a service is ready when ITS process says READY=1 (sd_notify), as the
kernel tells the sender's pid; a message from anyone else, whatever it claims, is not it.

Real processes on a real unix datagram socket. The stack uses this only to know when to
stop sleeping and when to ask the API (every health check is still made), so the negative
control matters: a foreign READY=1 naming the service's pid must not make it ready.
"""

from __future__ import annotations

import os
import socket
import sys

from evalplatform.pgcluster import PROJECT_ROOT
from evalplatform.supervise import NOTIFY_SOCKET, Readiness, Service
from support import waiting

SAYS_READY = "import signal; from evalplatform.supervise import notify_ready; notify_ready(); signal.pause()"
SAYS_NOTHING = "import signal; signal.pause()"


def _service(tmp_path, name: str, code: str, readiness: Readiness) -> Service:
    env = {**os.environ, NOTIFY_SOCKET: str(readiness.path)}
    service = Service(name, [sys.executable, "-c", code], tmp_path / f"{name}.log", env, cwd=str(PROJECT_ROOT))
    service.start()
    return service


def _said_ready(readiness: Readiness, service: Service) -> bool:
    readiness.wait(0.05)
    return readiness.said_ready(service)


def test_a_service_is_ready_when_its_own_process_says_so_and_not_when_another_claims_it(tmp_path):
    readiness = Readiness(tmp_path / "notify")
    silent = _service(tmp_path, "silent", SAYS_NOTHING, readiness)
    speaking = _service(tmp_path, "speaking", SAYS_READY, readiness)
    try:
        waiting.until(lambda: _said_ready(readiness, speaking), bool, timeout=30,
                      description="the speaking service's READY=1")
        # Negative control: this test process says READY=1 and names the silent service's pid.
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(f"READY=1\nMAINPID={silent.pid}".encode(), str(readiness.path))
        waiting.until(lambda: (readiness.wait(0.05), os.getpid() in readiness.ready_pids)[1], bool,
                      timeout=10, description="the foreign message to be received")
        assert not readiness.said_ready(silent), readiness.ready_pids
        assert silent.alive() and speaking.alive()
    finally:
        silent.stop()
        speaking.stop()
        readiness.close()
    assert not readiness.path.exists()


def test_a_python_service_without_a_socket_says_nothing_and_keeps_no_variable(tmp_path, monkeypatch):
    from evalplatform.supervise import notify_ready
    monkeypatch.delenv(NOTIFY_SOCKET, raising=False)
    assert notify_ready() is False
    monkeypatch.setenv(NOTIFY_SOCKET, str(tmp_path / "nobody-listens"))
    assert notify_ready() is False and NOTIFY_SOCKET not in os.environ
