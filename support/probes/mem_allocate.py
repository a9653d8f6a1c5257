"""Can code hold {{mb}} MiB? Isolated under a smaller memory limit it is OOM-killed before
printing; bare it prints blocked: false."""
import json

blocks = []
for _ in range({{mb}}):
    block = bytearray(1024 * 1024)
    block[::4096] = b"\1" * len(block[::4096])     # touch every page
    blocks.append(block)
print(json.dumps({"probe": "mem_allocate", "blocked": False,
                  "detail": f"held {len(blocks)} MiB"}))
