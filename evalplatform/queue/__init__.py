"""The queue: Celery on Redis, one list per priority, and the tasks that run evaluations.

app.py configures Celery and routes by priority; tasks.py names the contract's tasks;
evaluation.py is what one evaluation's run does; worker.py starts a worker's heartbeat
(liveness.py) and reaper (recovery.py), which make sure a lost worker never loses an
evaluation; outages.py names the exceptions that mean a dependency is down.
"""
