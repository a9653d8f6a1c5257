"""Binds features/chaos.feature to a platform of each scenario's own.

The suite's clients are overridden here, for this module only, so the ordinary steps
("I submit:", "the evaluation completes", ...) talk to the scenario's chaos stack
(steps/chaos_steps.py: `chaos_platform`) and never to the session's shared one.
"""
import pytest
from pytest_bdd import scenarios

from support.database import Database
from support.platform_facts import PlatformFacts
from support.redis_state import RedisState


scenarios("chaos.feature")


@pytest.fixture
def api(chaos_platform):
    return chaos_platform.api


@pytest.fixture
def evaluations(chaos_platform):
    return chaos_platform.evaluations


@pytest.fixture
def platform(api):
    return PlatformFacts(api.platform())


@pytest.fixture
def database(chaos_platform):
    db = Database(chaos_platform.urls["DATABASE_URL"])
    yield db
    db.close()


@pytest.fixture
def redis_state(chaos_platform):
    state = RedisState(chaos_platform.urls["REDIS_URL"])
    yield state
    state.close()
