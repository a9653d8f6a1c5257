"""Binds features/imports.feature: one feature, one test module (`pytest features/test_imports.py`)."""
from pytest_bdd import scenarios

scenarios("imports.feature")
