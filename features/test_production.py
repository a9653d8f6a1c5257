"""Binds features/production.feature: one feature, one test module (`pytest features/test_production.py`)."""
from pytest_bdd import scenarios

scenarios("production.feature")
