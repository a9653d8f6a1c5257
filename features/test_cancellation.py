"""Binds features/cancellation.feature: one feature, one test module (`pytest features/test_cancellation.py`)."""
from pytest_bdd import scenarios

scenarios("cancellation.feature")
