"""How the sandbox itself fails (not the code it runs). A run's request and result are
evalplatform/run.py's, shared with every executor."""

from __future__ import annotations


class SandboxError(Exception):
    """The sandbox itself failed (not the code it ran)."""


class SandboxUnavailable(SandboxError):
    """No engine on this host can isolate; the message says what to install or enable."""
