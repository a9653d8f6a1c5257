"""Binds features/persistence.feature: one feature, one test module (`pytest features/test_persistence.py`)."""
from pytest_bdd import scenarios

scenarios("persistence.feature")
