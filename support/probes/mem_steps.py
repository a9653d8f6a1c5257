"""How much memory does code get to hold? Allocates and touches 1 MiB blocks up to
{{max_mb}} MiB, printing "held N" (flushed) after every {{step_mb}} MiB, so the output of
a run the memory limit killed shows how far it got. Isolated under a smaller limit it is
OOM-killed; bare it holds everything and prints blocked: false."""
import json
import sys

blocks = []
for _ in range({{max_mb}}):
    block = bytearray(1024 * 1024)
    block[::4096] = b"\1" * len(block[::4096])     # touch every page
    blocks.append(block)
    if len(blocks) % {{step_mb}} == 0:
        print(f"held {len(blocks)}", flush=True)
print(json.dumps({"probe": "mem_steps", "blocked": False, "detail": {"held_mb": len(blocks)}}))
sys.stdout.flush()
