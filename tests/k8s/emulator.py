"""A local Kubernetes API-server emulator: exactly the endpoints the executor uses.

It is NOT a cluster. It speaks the API's HTTP shapes (paths, JSON bodies, Status
errors, label selectors, chunked `follow` logs) so the official client talks to it as
to a real server, validates every object it is sent against the Kubernetes schemas
(like the API server would), applies foreground deletion and owner-reference garbage
collection, and plays a scripted Pod lifecycle (a `Script`) in place of the scheduler,
the kubelet and the Job controller. What it shows and what it cannot is written in
docs/kubernetes.md.

Endpoints: configmaps create/get/patch/delete; jobs create/get/list/delete; pods list
(by label); pod log (plain and follow); /version; and, read-only, the NetworkPolicies, RuntimeClasses
and Namespaces of objects `apply`-ed to it (the suite's @k8s reads).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional
from urllib.parse import parse_qs, urlparse

import kubernetes_validate

SCHEMA_VERSION = kubernetes_validate.latest_version()
CONFIGMAP_MAX_BYTES = 1024 * 1024

_ROUTES = [
    ("configmaps", re.compile(r"^/api/v1/namespaces/([^/]+)/configmaps(?:/([^/]+))?$")),
    ("jobs", re.compile(r"^/apis/batch/v1/namespaces/([^/]+)/jobs(?:/([^/]+))?$")),
    ("log", re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/log$")),
    ("pods", re.compile(r"^/api/v1/namespaces/([^/]+)/pods(?:/([^/]+))?$")),
    ("networkpolicies", re.compile(r"^/apis/networking.k8s.io/v1/namespaces/([^/]+)/networkpolicies()$")),
    ("runtimeclasses", re.compile(r"^/apis/node.k8s.io/v1/runtimeclasses/()([^/]+)$")),
    ("namespaces", re.compile(r"^/api/v1/namespaces/()([^/]+)$")),
    ("version", re.compile(r"^/version/?()()$")),
]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def matches(selector: str, labels: dict) -> bool:
    """Equality-based label selectors ('a=b,c=d'), the only kind the executor sends."""
    for term in filter(None, (selector or "").split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


# ---- the scripted Pod lifecycle -------------------------------------------------------

def _container_status(pod: dict, state: dict, ready: bool = False) -> dict:
    image = pod["spec"]["containers"][0]["image"]
    return {"name": "main", "image": image, "imageID": "", "ready": ready, "restartCount": 0, "state": state}


def pending(reason: str = "ContainerCreating", message: str = ""):
    def step(world: "World", job: dict, pod: dict) -> None:
        pod["status"] = {"phase": "Pending", "containerStatuses": [
            _container_status(pod, {"waiting": {"reason": reason, "message": message}})]}
    return step


def unschedulable(message: str = "0/3 nodes are available: 3 Insufficient memory."):
    def step(world: "World", job: dict, pod: dict) -> None:
        pod["status"] = {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}]}
    return step


def running(log: bytes = b""):
    def step(world: "World", job: dict, pod: dict) -> None:
        pod["status"] = {"phase": "Running", "containerStatuses": [
            _container_status(pod, {"running": {"startedAt": _now()}}, ready=True)]}
        pod["log"] = log
    return step


def terminated(exit_code: int, log: bytes, reason: Optional[str] = None):
    """The container ends; the Job controller marks the Job Complete or Failed."""
    def step(world: "World", job: dict, pod: dict) -> None:
        pod["log"] = log
        pod["status"] = {"phase": "Succeeded" if exit_code == 0 else "Failed", "containerStatuses": [
            _container_status(pod, {"terminated": {"exitCode": exit_code, "reason": reason or (
                "Completed" if exit_code == 0 else "Error"), "finishedAt": _now()}})]}
        condition = ({"type": "Complete", "status": "True"} if exit_code == 0 else
                     {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                      "message": "Job has reached the specified backoff limit"})
        job["status"] = {"conditions": [condition], "succeeded" if exit_code == 0 else "failed": 1}
    return step


def deadline_exceeded():
    """activeDeadlineSeconds passed: the Job controller fails the Job and deletes its Pod."""
    def step(world: "World", job: dict, pod: dict) -> None:
        job["status"] = {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded",
                                                      "message": "Job was active longer than specified deadline"}]}
        world.pods.pop(pod["metadata"]["name"], None)
    return step


def gate(event: threading.Event, timeout: float = 10.0):
    """Hold the current state until the test sets `event` (e.g. once it saw live output).

    The World's lock is not held while waiting, so the client keeps polling meanwhile."""
    def step(world: "World", job: dict, pod: dict) -> None:
        world.changed.release()
        try:
            event.wait(timeout)
        finally:
            world.changed.acquire()
    return step


@dataclass
class Script:
    """Steps played one per `tick` seconds after the Job is created; the last state stays."""

    steps: list
    tick: float = 0.05


# ---- the server's state ---------------------------------------------------------------

@dataclass
class World:
    script: Script
    configmaps: dict = field(default_factory=dict)
    jobs: dict = field(default_factory=dict)
    pods: dict = field(default_factory=dict)
    requests: list = field(default_factory=list)      # (method, path, query, body)
    changed: threading.Condition = field(default_factory=threading.Condition)
    applied: list = field(default_factory=list)       # read-only objects, as `kubectl apply` left them
    # Called with the Job body before it is stored; returning "drop" stores the Job and
    # then closes the connection without an answer (a create whose response is lost).
    on_create_job: Optional[Callable[[dict], Optional[str]]] = None

    def play(self, job: dict, pod: dict) -> None:
        for step in self.script.steps:
            time.sleep(self.script.tick)    # the emulated cluster's own pace, not a test wait
            with self.changed:
                if job["metadata"]["name"] not in self.jobs:
                    return
                step(self, job, pod)
                self.changed.notify_all()

    def delete_job(self, name: str) -> None:
        job = self.jobs.pop(name)
        for pod_name in [n for n, p in self.pods.items() if p["metadata"]["labels"].get("job-name") == name]:
            del self.pods[pod_name]
        uid = job["metadata"]["uid"]
        for cm_name in [n for n, c in self.configmaps.items()
                        if any(o.get("uid") == uid for o in c["metadata"].get("ownerReferences", []))]:
            del self.configmaps[cm_name]


class Emulator:
    """Start with `with Emulator(script) as emu:`; point the client at `emu.url`."""

    def __init__(self, script: Script):
        self.world = World(script)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.world))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "Emulator":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def apply(self, docs: list[dict]) -> None:
        """Objects the read-only endpoints serve (NetworkPolicy, RuntimeClass, Namespace)."""
        self.world.applied.extend(docs)

    def write_kubeconfig(self, path) -> str:
        """A kubeconfig file pointing at this emulator (no credentials), as KUBECONFIG reads it."""
        path.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "emulator",
            "clusters": [{"name": "emulator", "cluster": {"server": self.url}}],
            "users": [{"name": "tests", "user": {}}],
            "contexts": [{"name": "emulator", "context": {"cluster": "emulator", "user": "tests"}}]}))
        return str(path)

    def deletes(self, kind: str) -> list[dict]:
        """The bodies of DELETE requests for `kind` ('jobs', 'configmaps')."""
        return [body for method, path, _, body in self.world.requests
                if method == "DELETE" and f"/{kind}/" in path]


def _status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "reason": reason, "message": message, "code": code}


def _handler(world: World):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True     # headers and body go out at once, as from a real server

        def log_message(self, *args) -> None:     # quiet: the test output is for the tests
            pass

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length)) if length else None

        def _send(self, code: int, payload) -> None:
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = self._body() if method in ("POST", "PATCH", "DELETE") else None
            world.requests.append((method, url.path, query, body))
            for kind, pattern in _ROUTES:
                match = pattern.match(url.path)
                if match:
                    handler = getattr(self, f"{method.lower()}_{kind}", None)
                    if handler is None:
                        return self._send(405, _status(405, "MethodNotAllowed", f"{method} {kind}"))
                    return handler(*match.groups(), query=query, body=body)
            return self._send(404, _status(404, "NotFound", url.path))

        def do_GET(self):
            self._route("GET")

        def do_POST(self):
            self._route("POST")

        def do_PATCH(self):
            self._route("PATCH")

        def do_DELETE(self):
            self._route("DELETE")

        # ---- objects ----
        def _store(self, kind: str, store: dict, namespace: str, body: dict) -> Optional[dict]:
            try:
                kubernetes_validate.validate(body, SCHEMA_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                self._send(422, _status(422, "Invalid", f"{kind}: {exc.message} at {list(exc.path)}"))
                return None
            name = body["metadata"]["name"]
            if name in store:
                self._send(409, _status(409, "AlreadyExists", f"{kind} {name!r} already exists"))
                return None
            body["metadata"].update(namespace=namespace, uid=str(uuid.uuid4()), creationTimestamp=_now(),
                                    resourceVersion="1")
            store[name] = body
            return body

        def post_configmaps(self, namespace, name, query, body):
            size = sum(len(v.encode()) for v in (body.get("data") or {}).values())
            if size > CONFIGMAP_MAX_BYTES:
                return self._send(422, _status(422, "Invalid", f"ConfigMap data is {size} bytes"))
            with world.changed:
                stored = self._store("ConfigMap", world.configmaps, namespace, body)
            if stored:
                self._send(201, stored)

        def get_configmaps(self, namespace, name, query, body):
            if name in world.configmaps:
                return self._send(200, world.configmaps[name])
            self._send(404, _status(404, "NotFound", f"configmap {name}"))

        def patch_configmaps(self, namespace, name, query, body):
            # As the API server: an object body is a merge patch; JSON Patch must be a list.
            kind = self.headers.get("Content-Type", "")
            if kind not in ("application/strategic-merge-patch+json", "application/merge-patch+json"):
                return self._send(415 if "json-patch" not in kind else 400,
                                  _status(400, "BadRequest", f"patch type {kind!r} with a {type(body).__name__}"))
            with world.changed:
                cm = world.configmaps.get(name)
                if cm is None:
                    return self._send(404, _status(404, "NotFound", f"configmap {name}"))
                cm["metadata"].update(body.get("metadata", {}))
            self._send(200, cm)

        def delete_configmaps(self, namespace, name, query, body):
            with world.changed:
                cm = world.configmaps.pop(name, None)
            if cm is None:
                return self._send(404, _status(404, "NotFound", f"configmap {name}"))
            self._send(200, _status(200, "", "deleted") | {"status": "Success"})

        def post_jobs(self, namespace, name, query, body):
            verdict = world.on_create_job(body) if world.on_create_job else None
            with world.changed:
                job = self._store("Job", world.jobs, namespace, body)
                if job is None:
                    return
                job["status"] = {}
                pod_name = f"{job['metadata']['name']}-{uuid.uuid4().hex[:5]}"
                template = job["spec"]["template"]
                pod = {"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": pod_name, "namespace": namespace, "uid": str(uuid.uuid4()),
                                    "creationTimestamp": _now(),
                                    "labels": {**template["metadata"]["labels"], "job-name": job["metadata"]["name"]}},
                       "spec": template["spec"], "status": {"phase": "Pending"}}
                world.pods[pod_name] = pod
                world.changed.notify_all()
            threading.Thread(target=world.play, args=(job, pod), daemon=True).start()
            if verdict == "drop":
                self.close_connection = True
                return
            self._send(201, job)

        def get_jobs(self, namespace, name, query, body):
            if name is None:
                items = [j for j in world.jobs.values() if matches(query.get("labelSelector"), j["metadata"]["labels"])]
                return self._send(200, {"kind": "JobList", "apiVersion": "batch/v1", "metadata": {}, "items": items})
            if name in world.jobs:
                return self._send(200, world.jobs[name])
            self._send(404, _status(404, "NotFound", f"job {name}"))

        def delete_jobs(self, namespace, name, query, body):
            with world.changed:
                if name not in world.jobs:
                    return self._send(404, _status(404, "NotFound", f"job {name}"))
                world.delete_job(name)   # foreground: dependents first, then the Job, all at once here
                world.changed.notify_all()
            self._send(200, _status(200, "", "deleted") | {"status": "Success"})

        def get_pods(self, namespace, name, query, body):
            items = [{k: v for k, v in p.items() if k != "log"} for p in world.pods.values()
                     if matches(query.get("labelSelector"), p["metadata"]["labels"])]
            self._send(200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": items})

        def _applied(self, kind: str, namespace: str = "", name: str = "") -> list[dict]:
            return [d for d in world.applied if d["kind"] == kind
                    and (not namespace or d["metadata"].get("namespace") == namespace)
                    and (not name or d["metadata"]["name"] == name)]

        def _get_one(self, kind: str, name: str) -> None:
            found = self._applied(kind, name=name)
            if found:
                return self._send(200, found[0])
            self._send(404, _status(404, "NotFound", f"{kind} {name}"))

        def get_networkpolicies(self, namespace, name, query, body):
            self._send(200, {"kind": "NetworkPolicyList", "apiVersion": "networking.k8s.io/v1", "metadata": {},
                             "items": self._applied("NetworkPolicy", namespace)})

        def get_runtimeclasses(self, namespace, name, query, body):
            self._get_one("RuntimeClass", name)

        def get_namespaces(self, namespace, name, query, body):
            self._get_one("Namespace", name)

        def get_version(self, namespace, name, query, body):
            self._send(200, {"major": "1", "minor": "37", "gitVersion": "v1.37.0-emulator", "gitCommit": "",
                             "gitTreeState": "", "buildDate": _now(), "goVersion": "", "compiler": "",
                             "platform": "linux/amd64"})

        def get_log(self, namespace, name, query, body):
            pod = world.pods.get(name)
            if pod is None:
                return self._send(404, _status(404, "NotFound", f"pod {name}"))
            if query.get("follow") != "true":
                data = pod.get("log", b"")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                return self.wfile.write(data)
            self._follow(name)

        def _follow(self, name: str) -> None:
            """Chunked, like the API server: each new piece of log as it appears, until the container ends."""
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            while True:
                with world.changed:
                    pod = world.pods.get(name)
                    log = pod.get("log", b"") if pod else b""
                    ended = pod is None or pod["status"]["phase"] in ("Succeeded", "Failed")
                    if len(log) == sent and not ended:
                        world.changed.wait(1.0)
                        continue
                if len(log) > sent:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(log) - sent, log[sent:]))
                    self.wfile.flush()
                    sent = len(log)
                if ended:
                    self.wfile.write(b"0\r\n\r\n")
                    return
    return Handler
