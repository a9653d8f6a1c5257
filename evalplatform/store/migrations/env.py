"""Alembic environment: always run with the connection that db.migrate hands over (under its lock)."""

from alembic import context

from evalplatform.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
