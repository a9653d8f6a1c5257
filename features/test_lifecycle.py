"""Binds features/lifecycle.feature: one feature, one test module (`pytest features/test_lifecycle.py`)."""
from pytest_bdd import scenarios

scenarios("lifecycle.feature")
