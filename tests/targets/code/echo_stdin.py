"""Prints its standard input, upper-cased."""
import sys

print(sys.stdin.read().upper(), end="")
