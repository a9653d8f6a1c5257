"""Binds features/celery_tasks.feature: one feature, one test module (`pytest features/test_celery_tasks.py`)."""
from pytest_bdd import scenarios

scenarios("celery_tasks.feature")
