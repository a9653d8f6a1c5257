@connectivity
Feature: The platform's services are reachable and work
  An evaluation platform is an API in front of a Celery queue on Redis, with its
  records in PostgreSQL. Before anything else, each of these answers, and answers
  the way the platform promises to use it.

  Rule: Redis holds the platform's live state

    Scenario: Redis answers a ping
      When I ping Redis
      Then Redis answers

    Scenario: Redis stores, returns and deletes a value
      When I write a value under a key of my own in Redis
      Then reading the key returns the value
      And deleting the key leaves nothing behind

  Rule: Celery workers listen on the broker

    Scenario: The workers answer a ping through the broker
      When I ping the workers through the broker
      Then at least one worker answers "pong"

    Scenario: The workers report their statistics
      When I ask the workers for their statistics
      Then every worker reports its pool and the broker it is connected to

    Scenario: The workers accept JSON only
      When I ask the workers for their configuration
      Then every worker serializes tasks and results as JSON and accepts nothing else

    Scenario: The workers acknowledge a task only after running it
      When I ask the workers for their configuration
      Then every worker acknowledges tasks late

  Rule: PostgreSQL keeps the records, transactionally

    Scenario: PostgreSQL accepts a connection
      When I connect to PostgreSQL
      Then it answers a query and reports its version

    Scenario: The platform's tables exist
      When I connect to PostgreSQL
      Then the tables "evaluations" and "evaluation_events" exist

    Scenario: Rows are created, read, updated and deleted
      Given a scratch schema of my own in PostgreSQL
      When I create a row named "first"
      Then the row reads "first"
      When I rename the row to "second"
      Then the row reads "second"
      When I delete the row
      Then the row is gone

    Scenario: A committed transaction keeps its rows
      Given a scratch schema of my own in PostgreSQL
      When I insert the rows "alpha" and "beta" in one transaction that commits
      Then the scratch table holds "alpha" and "beta"

    Scenario: A rolled back transaction leaves nothing behind
      Given a scratch schema of my own in PostgreSQL
      When I insert the row "gamma" in a transaction that fails before it commits
      Then the scratch table holds nothing

    Scenario: JSONB documents are queried by their contents
      Given a scratch schema of my own in PostgreSQL
      When I store the documents:
        | name  | data                              |
        | red   | {"colour": "red", "size": 1}      |
        | blue  | {"colour": "blue", "size": 2}     |
        | crimson | {"colour": "red", "size": 3}    |
      Then the documents containing {"colour": "red"} are "red" and "crimson"

    Scenario: The scratch schema is dropped afterwards
      Given a scratch schema of my own in PostgreSQL
      When I am done with the scratch schema
      Then the scratch schema no longer exists

  Rule: The API reports the health of everything it depends on

    Scenario: The health endpoint reports every service
      When I ask the API for its health
      Then the API reports "ok" for the services api, redis, broker, database, workers and sandbox
