"""Binds features/kubernetes.feature: one feature, one test module (`pytest features/test_kubernetes.py`)."""
from pytest_bdd import scenarios

scenarios("kubernetes.feature")
