"""The contract's state machine table says what docs/contract.md says."""

from evalplatform import contract as c


def test_terminal_statuses_never_move():
    for status in c.TERMINAL:
        assert c.ALLOWED_MOVES[status] == frozenset()


def test_every_status_has_a_row():
    assert set(c.ALLOWED_MOVES) == set(c.STATUSES)


def test_a_lost_worker_may_requeue_a_running_evaluation():
    assert c.is_allowed(c.RUNNING, c.QUEUED)


def test_backwards_moves_are_refused():
    assert not c.is_allowed(c.RUNNING, c.SUBMITTED)
    assert not c.is_allowed(c.COMPLETED, c.RUNNING)
    assert not c.is_allowed(c.QUEUED, c.SUBMITTED)
