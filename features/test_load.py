"""Binds features/load.feature: one feature, one test module (`pytest features/test_load.py`)."""
from pytest_bdd import scenarios

scenarios("load.feature")
