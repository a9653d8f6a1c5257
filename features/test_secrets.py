"""Binds features/secrets.feature: one feature, one test module (`pytest features/test_secrets.py`)."""
from pytest_bdd import scenarios

scenarios("secrets.feature")
