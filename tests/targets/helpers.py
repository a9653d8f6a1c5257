"""Constants the target tests share."""

from pathlib import Path

from support.safety_net import NetLimits

COMMANDS_DIR = Path(__file__).resolve().parent / "commands"
# Small enough that the destructive probes hit them in well under a second each.
SMALL_NET = NetLimits(pids=64, memory_mb=160, wall_s=60, output_bytes=64 * 1024)
# The same with room for an inspect driver (inspect_ai imported: ~90 MB resident).
INSPECT_NET = NetLimits(pids=64, memory_mb=400, wall_s=60, output_bytes=64 * 1024)
CODE_DIR = Path(__file__).resolve().parent / "code"
PYTHON = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python")


def code(name: str) -> str:
    """The source of tests/targets/code/<name>.py."""
    return (CODE_DIR / f"{name}.py").read_text()


# The wrappers' output limit and status file (the command: protocol's; commands/capped.py).
CAPPED = "--output-bytes {output_bytes} --status {status}"


def strong_commands() -> dict[str, str]:
    """The strong sandbox commands, as the `command:` prefixes an operator would set
    (docs/targets.md): bwrap and runsc through their wrappers, which also keep the output
    limit the runner hands them and say when they cut a stream; nsjail as a plain prefix."""
    import sys

    sys.path.insert(0, str(COMMANDS_DIR))
    import policy
    from evalplatform.sandbox.engines.nsjail import nsjail_binary

    return {"bwrap": f"{PYTHON} {COMMANDS_DIR / 'strong_bwrap.py'} {CAPPED} {{memory_bytes}} --",
            "nsjail": policy.nsjail_prefix(nsjail_binary()),
            "runsc": f"{PYTHON} {COMMANDS_DIR / 'strong_runsc.py'} {CAPPED} {{memory_bytes}} --"}


# The strong bubblewrap made weak in exactly two ways: the host's root bound (read-only) and
# the host's network shared.
WEAK_BWRAP = f"{PYTHON} {COMMANDS_DIR / 'strong_bwrap.py'} --host-root --share-net {CAPPED} {{memory_bytes}} --"
