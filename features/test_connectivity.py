"""Binds features/connectivity.feature: one feature, one test module (`pytest features/test_connectivity.py`)."""
from pytest_bdd import scenarios

scenarios("connectivity.feature")
