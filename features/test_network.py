"""Binds features/network.feature: one feature, one test module (`pytest features/test_network.py`)."""
from pytest_bdd import scenarios

scenarios("network.feature")
