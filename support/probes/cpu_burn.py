"""Can code burn {{seconds}} s of CPU? Under a smaller RLIMIT_CPU it dies of SIGXCPU
before printing; bare it prints blocked: false."""
import json
import time

start = time.process_time()
while time.process_time() - start < {{seconds}}:
    pass
print(json.dumps({"probe": "cpu_burn", "blocked": False,
                  "detail": f"burned {time.process_time() - start:.1f} s"}))
