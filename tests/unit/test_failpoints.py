"""Failpoints are honoured only with explicit consent, and never in production."""

import pytest

from evalplatform import failpoints
from evalplatform.settings import Settings


def test_named_but_not_allowed_is_inert():
    s = Settings(failpoints="no_netns", failpoints_allowed=False)
    assert not failpoints.active("no_netns", s)


def test_named_and_allowed_is_active():
    s = Settings(failpoints="no_netns, priority_ignored", failpoints_allowed=True)
    assert failpoints.active("no_netns", s)
    assert failpoints.active("priority_ignored", s)
    assert not failpoints.active("cancel_noop", s)


def test_production_refuses_to_start_with_failpoints():
    s = Settings(profile="production", failpoints="no_netns", failpoints_allowed=True)
    assert failpoints.enabled(s) == frozenset()
    with pytest.raises(failpoints.FailpointError, match="production"):
        failpoints.check_startup(s)


def test_unknown_failpoint_refuses_to_start():
    with pytest.raises(failpoints.FailpointError, match="unknown failpoints: nope"):
        failpoints.check_startup(Settings(failpoints="nope", failpoints_allowed=True))


def test_catalogue_covers_at_least_fifteen_guarantees():
    assert len(failpoints.CATALOGUE) >= 15
