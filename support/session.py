"""The target of this pytest session, resolved once: an external deployment, or the
embedded stack started on first need and stopped at the end of the session.

"First need" is usually the session fixture; it may come earlier, at collection,
when a Scenario Outline takes its examples from the live platform (the environments
it lists). Either way there is one stack per session.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

import pytest

from support.config import Target, requested

log = logging.getLogger(__name__)


class SessionTarget:
    def __init__(self) -> None:
        self._requested = requested()
        self._resolved: Optional[Target] = None
        self._stack: Any = None

    @property
    def requested(self) -> Target:
        """What the environment asked for (no stack started to answer this)."""
        return self._requested

    def get(self) -> Target:
        """The target, starting the embedded stack when no API_URL was given."""
        if self._resolved is None:
            self._resolved = self._resolve()
        return self._resolved

    def _resolve(self) -> Target:
        wanted = self._requested
        if wanted.api_url:
            missing = wanted.missing_urls()
            if missing:
                raise RuntimeError(f"API_URL is set, so the suite checks that deployment; it also needs "
                                   f"{', '.join(missing)} (see docs/suite.md)")
            return wanted
        # The embedded platform: the one place the suite imports evalplatform.
        from evalplatform.stack import Stack
        log.info("API_URL is unset: starting the embedded stack")
        self._stack = Stack().start()
        return wanted.with_embedded_urls(self._stack.urls)

    @property
    def stack(self) -> Any:
        """The embedded stack (process control for hygiene and chaos steps), or None."""
        return self._stack

    def stop(self) -> None:
        if self._stack is not None:
            self._stack.stop()
            self._stack = None
        self._resolved = None


SESSION_TARGET = pytest.StashKey[SessionTarget]()


def session_target(config: pytest.Config) -> SessionTarget:
    """The session's target holder, made by the root conftest at configure time."""
    return config.stash[SESSION_TARGET]
