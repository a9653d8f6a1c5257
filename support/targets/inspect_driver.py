"""The child process that drives an inspect_ai SandboxEnvironment provider for the suite.

Started by support/targets/inspect.py (inside the safety net when the provider
runs code on this host: inspect's `local` provider runs `exec` as a subprocess of this
very process). It speaks JSON lines: requests on stdin, answers on stdout (inspect's
own logging goes to stderr):

    {"op": "init", "provider": "local", "config": ..., "modules": [...]} -> {"ok": true}
    {"op": "run", "code": "...", "timeout": 30, "cap": 1048576}          -> {"returncode": ..., ...}
    {"op": "close"}                                                      -> {"ok": true}, exit

Every run is one sample: sample_init, one exec(["python3", "-c", code], timeout=...),
sample_cleanup; task_init/task_cleanup bracket the driver's life. Only inspect's public
sandbox API is used, except finding a provider class by its registered name, which
inspect keeps in its registry module (`registry_find_sandboxenv`).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import sys
import time
import traceback

TASK_NAME = "acceptance-suite"


def _capped(text: str, cap: int) -> tuple[str, bool]:
    data = text.encode("utf-8", errors="replace")
    if len(data) <= cap:
        return text, False
    return data[:cap].decode("utf-8", errors="ignore"), True


class Driver:
    def __init__(self) -> None:
        self.cls = None
        self.config = None

    async def init(self, provider: str, config, modules: list[str]) -> dict:
        from inspect_ai._util.entrypoints import ensure_entry_points
        from inspect_ai.util._sandbox.registry import registry_find_sandboxenv
        import inspect_ai.util._sandbox.local  # noqa: F401  (registers "local")

        for module in modules:
            importlib.import_module(module)
        ensure_entry_points()
        self.cls = registry_find_sandboxenv(provider)
        if isinstance(config, dict):
            try:
                config = self.cls.config_deserialize(config)
            except NotImplementedError:
                pass                    # the provider takes the dict as it is
        self.config = config
        await self.cls.task_init(TASK_NAME, config)
        return {"ok": True, "provider_class": f"{self.cls.__module__}.{self.cls.__qualname__}"}

    async def run(self, code: str, timeout: int, cap: int) -> dict:
        from inspect_ai.util import OutputLimitExceededError

        started = time.monotonic()
        environments = await self.cls.sample_init(TASK_NAME, self.config, {})
        answer: dict
        try:
            sandbox = next(iter(environments.values()))
            try:
                result = await sandbox.exec(["python3", "-c", code], timeout=timeout, timeout_retry=False)
                output, output_truncated = _capped(result.stdout, cap)
                error, error_truncated = _capped(result.stderr, cap)
                answer = {"returncode": result.returncode, "output": output, "error": error,
                          "output_truncated": output_truncated, "error_truncated": error_truncated}
            except TimeoutError:
                answer = {"stopped": "timeout", "error": f"exec timed out after {timeout} s"}
            except OutputLimitExceededError as exc:
                answer = {"stopped": "output", "error": str(exc), "output_truncated": True,
                          "output": _capped(exc.truncated_output or "", cap)[0]}
        except Exception:
            answer = {"stopped": "sandbox_error", "error": traceback.format_exc(limit=5)}
        finally:
            await self.cls.sample_cleanup(TASK_NAME, self.config, environments, False)
        answer["elapsed"] = time.monotonic() - started
        return answer

    async def close(self) -> dict:
        if self.cls is not None:
            await self.cls.task_cleanup(TASK_NAME, self.config, True)
        return {"ok": True}


def _answer(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def main() -> None:
    driver = Driver()
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            await driver.close()
            return
        request = json.loads(line)
        op = request.pop("op")
        try:
            _answer(await getattr(driver, op)(**request))
        except Exception:
            _answer({"ok": False, "stopped": "sandbox_error", "error": traceback.format_exc(limit=8)})
        if op == "close":
            return


if __name__ == "__main__":
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    asyncio.run(main())
