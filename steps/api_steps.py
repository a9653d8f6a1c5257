"""The shared vocabulary of the API's answers: what the platform reports about itself, and
the status of the last answer."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from support import platform_facts


@given("what the platform reports about itself")
@when("I read what the platform reports about itself")
def read_platform(context, api):
    context.platform = platform_facts.PlatformFacts(api.platform())


@then(parsers.parse("the answer is {status:d}"))
def answer_is(context, status):
    response = context.response
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"
    if status >= 400:
        assert "detail" in response.json(), f"a refusal without a detail: {response.text[:500]}"
