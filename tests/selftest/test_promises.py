"""The promise inventory (promises.py, docs/promises.md) against the catalogue.

A promise without a failpoint that breaks it, a failpoint without a scenario of its
promise that catches it, a failpoint no promise names, or a doc that is not the
inventory: each fails here. Static: nothing is run.
"""

from __future__ import annotations

import re

from evalplatform.failpoints import CATALOGUE

from .catalogue import CATCHERS, FEATURES_DIR
from .promises import PROMISES, markdown

DOC = FEATURES_DIR.parent / "docs" / "promises.md"


def _exists(feature: str, title: str) -> bool:
    text = (FEATURES_DIR / f"{feature}.feature").read_text()
    return re.search(rf"Scenario(?: Outline)?: {re.escape(title)}\n", text) is not None


def test_every_promise_names_existing_scenarios_and_a_failpoint():
    for promise in PROMISES:
        assert promise.scenarios, f"{promise.text!r} names no scenario that checks it"
        missing = [s for s in promise.scenarios if not _exists(*s)]
        assert not missing, f"{promise.text!r}: no such scenario {missing}"
        assert promise.failpoints, f"{promise.text!r} names no failpoint that breaks it"
        unknown = set(promise.failpoints) - CATALOGUE.keys()
        assert not unknown, f"{promise.text!r}: unknown failpoints {sorted(unknown)}"


def test_each_failpoint_of_a_promise_is_caught_by_one_of_its_scenarios():
    for promise in PROMISES:
        for name in promise.failpoints:
            caught = {(f, t) for f, titles in CATCHERS[name].items() for t in titles}
            assert caught & set(promise.scenarios), \
                f"{name} breaks {promise.text!r} but none of its scenarios is seen to catch it"


def test_every_failpoint_breaks_a_promise_of_the_inventory():
    named = {name for promise in PROMISES for name in promise.failpoints}
    assert not CATALOGUE.keys() - named, f"failpoints no promise names: {sorted(CATALOGUE.keys() - named)}"


def test_chaos_only_promises_say_so():
    for promise in PROMISES:
        if all(feature == "chaos" for feature, _ in promise.scenarios):
            assert "@chaos" in promise.left_to, f"{promise.text!r} is checked by @chaos only; say so"


def test_the_doc_holds_the_inventory():
    assert markdown() in DOC.read_text(), "docs/promises.md is stale: paste `python -m tests.selftest.promises`"
