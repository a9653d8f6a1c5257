"""The reference evaluation platform.

Data flows api/ -> queue/ (Celery) -> executor/ (local or kubernetes) -> sandbox/;
store/ (PostgreSQL) and state/ (Redis) sit beside them; stack.py starts it all.
"""

__version__ = "0.1.0"
