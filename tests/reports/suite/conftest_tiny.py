"""Copied as conftest.py beside the tiny suite: a skip at collection, a profile's waiver."""
import pytest

from support.waivers import waive


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("needs-gpu"):
            item.add_marker(pytest.mark.skip(reason="the target lacks the capability gpu"))
        if item.get_closest_marker("profile-gap"):
            waive(item, "the tiny profile has no tenth number", "profile tiny")


@pytest.fixture(autouse=True)
def _target(request):
    """A failure outside the steps: the scenario's fixture cannot reach its target."""
    if request.node.get_closest_marker("broken-target"):
        raise ConnectionError("the target at http://127.0.0.1:9/api refused the connection")
