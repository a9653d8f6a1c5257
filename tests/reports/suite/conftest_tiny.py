"""Copied as conftest.py beside the tiny suite: a setting read as support/config.py reads
it, a skip at collection, a profile's waiver."""
import os

import pytest

from support.reports.settings import number
from support.waivers import waive


def pytest_configure(config):
    config.timeout_scale = number(os.environ, "SUITE_TIMEOUT_SCALE", 1.0)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("needs-gpu"):
            item.add_marker(pytest.mark.skip(reason="the target lacks the capability gpu"))
        if item.get_closest_marker("profile-gap"):
            waive(item, "the tiny profile has no tenth number", "profile tiny")
