"""Workload: output, then a non-zero exit: it must fail with reason nonzero_exit, output kept."""
import sys

print("failing")
sys.exit(3)
