"""Binds features/filesystem.feature: one feature, one test module (`pytest features/test_filesystem.py`)."""
from pytest_bdd import scenarios

scenarios("filesystem.feature")
