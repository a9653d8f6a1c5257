"""Binds features/resources.feature: one feature, one test module (`pytest features/test_resources.py`)."""
from pytest_bdd import scenarios

scenarios("resources.feature")
