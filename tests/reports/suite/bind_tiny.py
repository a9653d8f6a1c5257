"""Copied as test_tiny.py into a temporary directory: binds tiny.feature (tests/reports)."""
from pytest_bdd import given, parsers, scenarios, then

scenarios("tiny.feature")


@given(parsers.parse("a number {n:d}"), target_fixture="number")
def number(n):
    return n


@then(parsers.parse("the number is {n:d}"))
def the_number_is(number, n):
    assert number == n, f"expected the number {n}, saw {number}"
