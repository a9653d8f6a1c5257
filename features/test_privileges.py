"""Binds features/privileges.feature: one feature, one test module (`pytest features/test_privileges.py`)."""
from pytest_bdd import scenarios

scenarios("privileges.feature")
