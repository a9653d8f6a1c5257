"""An inspect_ai sandbox provider that runs tool code on an evalplatform deployment.

Registered with inspect as the sandbox type "evalplatform" (entry point
`[project.entry-points.inspect_ai] evalplatform = "evalplatform.inspect_sandbox"`), so an
inspect task can say `sandbox=("evalplatform", {"url": "http://host:8080/api"})` and have
every `sandbox().exec(...)` run in the platform's sandbox instead of on its own host.

How the calls map onto evaluations (docs/targets.md):
- `exec(cmd, input, cwd, env, timeout)` submits one evaluation whose code is a small
  launcher (`_launch`, below): it writes the sample's files, changes to `cwd`, applies
  `env`, then execs `cmd` (or runs it with `input` on stdin). The evaluation's output,
  error and exit code are the command's. `python3`/`python` as `cmd[0]` is the
  evaluation's own interpreter. A timeout of the platform raises TimeoutError, an output
  over the platform's limit OutputLimitExceededError, as inspect's API says; an evaluation
  stopped at its memory limit ends its stderr with a `MemoryError: ...` line.
- Evaluations never share a filesystem, so `write_file` keeps the file in the sample and
  every later evaluation of the sample starts with it written. `read_file` returns such a
  file, or reads the path in a fresh evaluation (which sees the environment plus the
  sample's files, never what an earlier exec wrote: that was in another sandbox).
- `user` other than the default is refused (SandboxUserUnsupportedError): the platform
  chooses the sandbox's user.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import textwrap
import time
from pathlib import PurePosixPath
from typing import Any, Literal, Optional, Union, overload

import httpx
from pydantic import BaseModel, Field

from inspect_ai.util import (ExecResult, OutputLimitExceededError, SandboxEnvironment,
                             SandboxEnvironmentConfigType, SandboxUserUnsupportedError, sandboxenv)

TERMINAL = {"completed", "failed", "cancelled"}
# A command killed by signal N reports 128+N, as a shell would.
SIGNAL_BASE = 128
# What a command that could not be started reports (the platform's sandbox_error).
SETUP_FAILURE = 125


class EvalplatformConfig(BaseModel, frozen=True):
    """The provider's config: where the API is and what to ask of each evaluation."""

    url: str = "http://127.0.0.1:8080/api"
    environment: Optional[str] = None
    memory_limit: Optional[str] = None
    priority: int = 0
    default_timeout: int = Field(300, ge=1, le=300)   # inspect's "no timeout": the contract's most
    poll_interval: float = Field(0.1, gt=0)
    # Past the evaluation's timeout, how long it may take to turn terminal (queueing included).
    wait_slack: float = Field(120.0, ge=0)
    request_timeout: float = Field(15.0, gt=0)


def _launch(payload_b64: str) -> None:
    """Runs INSIDE the evaluation (its source is submitted as the evaluation's code)."""
    import base64
    import json
    import os
    import subprocess
    import sys

    payload = json.loads(base64.b64decode(payload_b64))
    for name, content in payload["files"].items():
        directory = os.path.dirname(name)
        if directory:
            os.makedirs(directory, exist_ok=True)
        with open(name, "wb") as fh:
            fh.write(base64.b64decode(content))
    if payload["cwd"]:
        os.makedirs(payload["cwd"], exist_ok=True)
        os.chdir(payload["cwd"])
    env = {**os.environ, **payload["env"]}
    argv = list(payload["cmd"])
    if argv[0] in ("python3", "python"):
        argv[0] = sys.executable
    try:
        if payload["input"] is None:
            os.execvpe(argv[0], argv, env)
        done = subprocess.run(argv, input=base64.b64decode(payload["input"]), env=env)
    except OSError as exc:
        print(f"{argv[0]}: {exc}", file=sys.stderr)
        sys.exit(payload["setup_failure"])
    sys.exit(done.returncode if done.returncode >= 0 else payload["signal_base"] - done.returncode)


LAUNCHER_SOURCE = textwrap.dedent(inspect.getsource(_launch))
READ_COMMAND = ["python3", "-c", "import sys; sys.stdout.write(open(sys.argv[1], 'rb').read().hex())"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@sandboxenv(name="evalplatform")
class EvalplatformSandboxEnvironment(SandboxEnvironment):
    """One sample's sandbox: its files, and the evaluations it submitted."""

    def __init__(self, config: EvalplatformConfig):
        super().__init__()
        self.config = config
        self.files: dict[str, bytes] = {}
        self.submitted: list[str] = []
        self._client = httpx.AsyncClient(base_url=config.url.rstrip("/") + "/", timeout=config.request_timeout)

    # -- lifecycle --------------------------------------------------------------------------------
    @classmethod
    def config_deserialize(cls, config: dict[str, Any]) -> BaseModel:
        return EvalplatformConfig(**config)

    @classmethod
    def _config(cls, config: SandboxEnvironmentConfigType | None) -> EvalplatformConfig:
        if config is None:
            return EvalplatformConfig()
        if isinstance(config, EvalplatformConfig):
            return config
        if isinstance(config, dict):
            return EvalplatformConfig(**config)
        if isinstance(config, str):
            return EvalplatformConfig(**json.loads(open(config).read()))
        raise TypeError(f"evalplatform sandbox config must be an EvalplatformConfig, a dict or a JSON file, "
                        f"not {type(config).__name__}")

    @classmethod
    async def task_init(cls, task_name: str, config: SandboxEnvironmentConfigType | None) -> None:
        """Fail early, with the platform's answer, when the API is not there or not healthy."""
        settings = cls._config(config)
        async with httpx.AsyncClient(base_url=settings.url.rstrip("/") + "/",
                                     timeout=settings.request_timeout) as client:
            answer = await client.get("health")
            if answer.status_code != 200:
                raise RuntimeError(f"evalplatform at {settings.url} is not healthy: "
                                   f"{answer.status_code} {answer.text[:500]}")

    @classmethod
    async def sample_init(cls, task_name: str, config: SandboxEnvironmentConfigType | None,
                          metadata: dict[str, str]) -> dict[str, SandboxEnvironment]:
        return {"default": cls(cls._config(config))}

    @classmethod
    async def sample_cleanup(cls, task_name: str, config: SandboxEnvironmentConfigType | None,
                             environments: dict[str, SandboxEnvironment], interrupted: bool) -> None:
        """Cancel whatever the sample left unfinished (an interrupted exec)."""
        for environment in environments.values():
            sandbox = environment.as_type(EvalplatformSandboxEnvironment)
            try:
                for eval_id in sandbox.submitted:
                    status = await sandbox._client.get(f"eval/{eval_id}/status")
                    if status.status_code == 200 and status.json()["status"] not in TERMINAL:
                        await sandbox._client.post(f"eval/{eval_id}/cancel")
            finally:
                await sandbox._client.aclose()

    # -- exec -------------------------------------------------------------------------------------
    def _code(self, cmd: list[str], input: str | bytes | None, cwd: str | None, env: dict[str, str] | None) -> str:
        data = input.encode() if isinstance(input, str) else input
        payload = {"cmd": cmd, "cwd": cwd or "", "env": env or {},
                   "input": None if data is None else _b64(data),
                   "files": {name: _b64(content) for name, content in self.files.items()},
                   "setup_failure": SETUP_FAILURE, "signal_base": SIGNAL_BASE}
        encoded = _b64(json.dumps(payload).encode())
        return f"{LAUNCHER_SOURCE}\n\n{_launch.__name__}({encoded!r})\n"

    async def _evaluate(self, code: str, timeout: int) -> dict:
        body: dict[str, Any] = {"code": code, "timeout": timeout, "priority": self.config.priority}
        if self.config.environment:
            body["environment"] = self.config.environment
        if self.config.memory_limit:
            body["memory_limit"] = self.config.memory_limit
        answer = await self._client.post("eval", json=body)
        if answer.status_code != 200:
            raise RuntimeError(f"evalplatform refused the evaluation: {answer.status_code} {answer.text[:500]}")
        eval_id = answer.json()["eval_id"]
        self.submitted.append(eval_id)
        deadline = time.monotonic() + timeout + self.config.wait_slack
        status: dict = {}
        while time.monotonic() < deadline:
            status = (await self._client.get(f"eval/{eval_id}/status")).json()
            if status.get("status") in TERMINAL:
                return (await self._client.get(f"eval/{eval_id}")).json()
            await asyncio.sleep(self.config.poll_interval)
        await self._client.post(f"eval/{eval_id}/cancel")
        raise TimeoutError(f"evaluation {eval_id} was still {status.get('status')!r} "
                           f"{self.config.wait_slack:g} s past its timeout of {timeout} s; cancelled it")

    async def exec(self, cmd: list[str], input: str | bytes | None = None, cwd: str | None = None,
                   env: dict[str, str] | None = None, user: str | None = None, timeout: int | None = None,
                   timeout_retry: bool = True, concurrency: bool = True) -> ExecResult[str]:
        if user is not None:
            raise SandboxUserUnsupportedError("the evalplatform sandbox runs code as the platform's own "
                                              "unprivileged user; it cannot run as another")
        if not cmd:
            raise ValueError("exec needs a command")
        seconds = max(1, min(int(timeout), 300)) if timeout else self.config.default_timeout
        record = await self._evaluate(self._code(list(cmd), input, cwd, env), seconds)
        output, error = record.get("output") or "", record.get("error") or ""
        reason = record.get("reason")
        if reason == "timeout":
            raise TimeoutError(f"evaluation {record['eval_id']} timed out after {seconds} s")
        if reason == "output_limit":
            raise OutputLimitExceededError("the platform's output limit", truncated_output=output)
        if reason == "memory":
            # inspect's ExecResult has no field for it: say it the way Python would.
            error += f"\nMemoryError: evalplatform stopped evaluation {record['eval_id']} at its memory limit\n"
        if record.get("exit_code") is not None:
            returncode = record["exit_code"]
        elif record.get("signal"):
            returncode = SIGNAL_BASE + record["signal"]
        else:
            returncode = SETUP_FAILURE if reason == "sandbox_error" else 1
        return ExecResult(success=record.get("status") == "completed", returncode=returncode,
                          stdout=output, stderr=error)

    # -- files ------------------------------------------------------------------------------------
    async def write_file(self, file: str, contents: str | bytes) -> None:
        data = contents.encode("utf-8") if isinstance(contents, str) else contents
        if file.endswith("/"):
            raise IsADirectoryError(file)
        self.files[str(PurePosixPath(file))] = data

    @overload
    async def read_file(self, file: str, text: Literal[True] = True) -> str: ...

    @overload
    async def read_file(self, file: str, text: Literal[False]) -> bytes: ...

    async def read_file(self, file: str, text: bool = True) -> Union[str, bytes]:
        name = str(PurePosixPath(file))
        if name in self.files:
            data = self.files[name]
        else:
            result = await self.exec([*READ_COMMAND, name])
            if not result.success:
                if "FileNotFoundError" in result.stderr:
                    raise FileNotFoundError(file)
                if "IsADirectoryError" in result.stderr:
                    raise IsADirectoryError(file)
                if "PermissionError" in result.stderr:
                    raise PermissionError(file)
                raise RuntimeError(f"reading {file} in the sandbox failed: {result.stderr[-500:]}")
            data = bytes.fromhex(result.stdout)
        return data.decode("utf-8") if text else data
