"""The queue: Celery on Redis, one list kept in priority order, and the tasks that run evaluations.

app.py configures Celery; broker.py is its transport, which keeps the evaluation list in
priority order; tasks.py names the contract's tasks; evaluation.py is what one evaluation's
run does; worker.py starts a worker's heartbeat (liveness.py) and reaper (recovery.py),
which make sure a lost worker never loses an evaluation; outages.py names the exceptions
that mean a dependency is down.
"""
