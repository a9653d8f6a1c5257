"""Listeners the suite opens itself on the host's loopback, as targets for network probes.

The rules of this project: a network probe only ever aims at a listener the test opened
on 127.0.0.1 (never a public or private address), and each listener is first shown to be
reachable from the host, so that "refused inside the sandbox" means isolation and not a
dead listener. Each is a context manager that serves from a daemon thread.
"""

from __future__ import annotations

import http.server
import socket
import socketserver
import struct
import threading
from contextlib import contextmanager
from typing import Iterator

LOOPBACK = "127.0.0.1"
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}


def _serve(server: socketserver.BaseServer) -> Iterator[tuple[str, int]]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[:2]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=2)


class _Greeter(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(b"hello from the host\n")


@contextmanager
def tcp_listener() -> Iterator[tuple[str, int]]:
    with socketserver.ThreadingTCPServer((LOOPBACK, 0), _Greeter) as server:
        server.daemon_threads = True
        yield from _serve(server)


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"a page on the host\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:   # keep the test output clean
        pass


@contextmanager
def http_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), _Page)
    server.daemon_threads = True
    for host, port in _serve(server):
        yield f"http://{host}:{port}/"


def dns_query(name: str) -> bytes:
    """A minimal DNS query for the A record of `name` (id 0x5eed, recursion desired)."""
    header = struct.pack(">HHHHHH", 0x5EED, 0x0100, 1, 0, 0, 0)
    qname = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    return header + qname + struct.pack(">HH", 1, 1)


class _Resolver(socketserver.BaseRequestHandler):
    """Answers every A query with 127.0.0.1: a DNS server of the suite's own."""

    def handle(self) -> None:
        query, sock = self.request
        header = query[:2] + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0)
        question = query[12:]
        answer = struct.pack(">HHHLH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(LOOPBACK)
        sock.sendto(header + question + answer, self.client_address)


@contextmanager
def dns_server() -> Iterator[tuple[str, int]]:
    with socketserver.ThreadingUDPServer((LOOPBACK, 0), _Resolver) as server:
        server.daemon_threads = True
        yield from _serve(server)


def host_reaches_tcp(host: str, port: int, timeout: float = 3.0) -> None:
    """The negative control: the host itself can connect (raises when it cannot)."""
    with socket.create_connection((host, port), timeout=timeout):
        pass


def host_resolves(host: str, port: int, name: str, timeout: float = 3.0) -> None:
    """The negative control: the host gets an answer from the DNS server at host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(timeout)
        query = dns_query(name)
        udp.sendto(query, (host, port))
        reply, _ = udp.recvfrom(512)
    assert reply[:2] == query[:2] and struct.unpack(">H", reply[6:8])[0] == 1, f"unexpected DNS reply {reply!r}"
