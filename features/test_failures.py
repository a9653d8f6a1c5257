"""Binds features/failures.feature: one feature, one test module (`pytest features/test_failures.py`)."""
from pytest_bdd import scenarios

scenarios("failures.feature")
