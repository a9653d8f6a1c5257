"""Binds features/priority.feature: one feature, one test module (`pytest features/test_priority.py`)."""
from pytest_bdd import scenarios

scenarios("priority.feature")
