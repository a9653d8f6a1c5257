"""Prints its cwd and the variable SUITE_VALUE."""
import os

print(os.getcwd(), os.environ.get("SUITE_VALUE"))
