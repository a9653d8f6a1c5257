"""Workload: a trivial evaluation that completes at once (support/workload.py)."""
print("fast")
