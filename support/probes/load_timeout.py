"""Workload: never ends by itself; the platform's timeout must end it (reason timeout)."""
import time

print("waiting for the timeout", flush=True)
while True:
    time.sleep(1)
