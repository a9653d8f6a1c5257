"""Constants the target tests share."""

from pathlib import Path

from support.safety_net import NetLimits

COMMANDS_DIR = Path(__file__).resolve().parent / "commands"
# Small enough that the destructive probes hit them in well under a second each.
SMALL_NET = NetLimits(pids=64, memory_mb=160, wall_s=60, scratch_mb=32, output_bytes=64 * 1024)
