"""support/floods.py: the stored start of a flood, wherever the limit cut it."""

import pytest

from support.floods import is_a_cut_flood

LINE = b"flood " * 5 + b"\n"
WRITTEN = LINE * 4


@pytest.mark.parametrize("limit", [1, 4, 6, 13, len(LINE) - 1, len(LINE), len(LINE) + 3, 2 * len(LINE), len(WRITTEN)])
def test_the_start_of_the_flood_is_one_wherever_it_is_cut(limit):
    assert is_a_cut_flood(WRITTEN[:limit])


@pytest.mark.parametrize("stored", [
    b"flood flood floop",                            # changed inside the first line
    b"flood flood\nflood",                           # a line that is not the one written
    LINE + b"flood flood " + b"\n" + b"flood",       # lines that differ
    LINE + b"Traceback (most recent call last)",     # something else mixed in
    LINE + b"flox",                                  # a last line that is not a start of it
    b"flood flood " + b"error: flood",               # the other stream merged in
    b"\nflood",                                      # an empty line
])
def test_anything_else_is_not(stored):
    assert not is_a_cut_flood(stored)
