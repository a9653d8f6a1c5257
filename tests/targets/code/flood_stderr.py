# Writes to stderr without end (as the resources feature's stderr flood does).
import sys

chunk = "flood " * 10000 + "\n"
while True:
    sys.stderr.write(chunk)
