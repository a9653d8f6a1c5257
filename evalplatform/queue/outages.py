"""The exceptions that mean "a dependency is down", not "this request or task is wrong".

The API answers them with 503 + Retry-After; the task retries its pick-up and its final
move on them instead of losing the evaluation.
"""

from __future__ import annotations

import kombu.exceptions
import redis.exceptions
import sqlalchemy.exc

OUTAGES = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
           sqlalchemy.exc.TimeoutError, redis.exceptions.ConnectionError,
           redis.exceptions.TimeoutError, redis.exceptions.BusyLoadingError,
           kombu.exceptions.OperationalError, ConnectionError)
