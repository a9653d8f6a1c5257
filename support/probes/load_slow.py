"""Workload: an evaluation that holds its slot for {{seconds}} s, then completes."""
import time

time.sleep({{seconds}})
print("slow")
