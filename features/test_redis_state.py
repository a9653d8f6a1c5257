"""Binds features/redis_state.feature: one feature, one test module (`pytest features/test_redis_state.py`)."""
from pytest_bdd import scenarios

scenarios("redis_state.feature")
