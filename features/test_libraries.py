"""Binds features/libraries.feature: one feature, one test module (`pytest features/test_libraries.py`)."""
from pytest_bdd import scenarios

scenarios("libraries.feature")
