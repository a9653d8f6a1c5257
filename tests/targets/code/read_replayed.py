"""Prints the content of notes/replayed.txt (relative to its cwd)."""
print(open("notes/replayed.txt").read(), end="")
