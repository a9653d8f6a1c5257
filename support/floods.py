"""What a stored stream holds when a flood the code wrote was cut at an output limit.

The flood scenarios write the same line again and again: one word and a space, repeated,
then a newline. A target cuts the stream at its limit, which may fall anywhere: after some
whole lines, inside the first line, in the middle of a word. What it stores must still be
the start of what the code wrote; nothing else mixed in (the other stream, a message of
the platform's), nothing changed.
"""

from __future__ import annotations


def is_a_cut_flood(stored: bytes, word: bytes = b"flood") -> bool:
    """True if `stored` is how a flood of `word` lines begins: whole lines, each the same
    run of `word ` repeated, then the start of one more (cut anywhere, even mid-word)."""
    unit = word + b" "
    *lines, last = stored.split(b"\n")
    if not lines:                          # a limit below one line: the start of the first
        return (unit * (len(last) // len(unit) + 1)).startswith(last)
    line = lines[0]
    repeats, rest = divmod(len(line), len(unit))
    return (bool(line) and not rest and line == unit * repeats
            and all(other == line for other in lines) and line.startswith(last))
