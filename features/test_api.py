"""Binds features/api.feature: one feature, one test module (`pytest features/test_api.py`)."""
from pytest_bdd import scenarios

scenarios("api.feature")
