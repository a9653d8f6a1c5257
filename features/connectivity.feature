@connectivity
Feature: The platform's services are reachable and work
  An evaluation platform is an API in front of a Celery queue on Redis, with its
  records in PostgreSQL. Before anything else, each of these answers, and answers
  the way the platform promises to use it.

  Rule: Redis holds the platform's live state

    @severity-high
    Scenario: Redis answers a ping
      When I ping Redis
      Then Redis answers

  Rule: Celery workers listen on the broker

    @severity-high
    Scenario: The workers answer a ping through the broker
      When I ping the workers through the broker
      Then at least one worker answers "pong"

    @severity-low
    Scenario: The workers report their statistics
      When I ask the workers for their statistics
      Then every worker reports its pool and the broker it is connected to

    @severity-high
    Scenario: The workers accept JSON only
      When I ask the workers for their configuration
      Then every worker serializes tasks and results as JSON and accepts nothing else

    @severity-high
    Scenario: The workers acknowledge a task only after running it
      When I ask the workers for their configuration
      Then every worker acknowledges tasks late

  Rule: PostgreSQL keeps the platform's records

    @severity-high
    Scenario: PostgreSQL accepts a connection
      When I connect to PostgreSQL
      Then it answers a query and reports its version

    @severity-high
    Scenario: The platform's tables exist with the contract's columns
      When I connect to PostgreSQL
      Then the table "evaluations" has the columns of the evaluation record, "code_hash" and "metadata"
      And the table "evaluation_events" has the columns "eval_id", "from_status", "to_status", "reason" and "at"

    @severity-high
    Scenario: An evaluation is stored with its code, the hash of its code and its outcome
      When I run, with the metadata {"purpose": "connectivity"}:
        """
        print("stored")
        """
      Then the evaluation completes
      And its stored row holds its code, the SHA-256 of its code, its status and its exit code
      And its record returns the metadata {"purpose": "connectivity"} unchanged

    @severity-medium
    Scenario: The metadata is stored as JSONB, found by its contents
      When I run evaluations with the metadata {"colour": "red"}, {"colour": "blue"} and {"colour": "red", "size": 3}
      Then the stored metadata column is of type jsonb
      And the rows whose metadata contains {"colour": "red"} are the first and the third

    @severity-high
    Scenario: A refused submission stores nothing
      When I submit a body with a timeout of 0 and the metadata {"purpose": "refused"}
      Then the answer is 422
      And no stored row carries that metadata

  Rule: The API reports the health of everything it depends on

    @severity-medium
    Scenario: The health endpoint reports every service
      When I ask the API for its health
      Then the API reports itself healthy, and every service it depends on
