"""Workload: writes to stdout without end; the output limit must end it (reason output_limit).

Without a working limit it would run into its timeout instead: a different reason, so a
broken cap shows up as a wrong status rather than passing unnoticed."""
import sys

line = "x" * 8191 + "\n"
while True:
    sys.stdout.write(line)
