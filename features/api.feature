@api
Feature: The API answers every request as the contract says
  Good requests get the documented answer; bad ones get a 4xx that names what was
  wrong. Nothing a client sends makes the API answer 5xx.

  Rule: The API describes the deployment

    @severity-medium
    Scenario: The platform reports its executor, engine, limits and capabilities
      When I read what the platform reports about itself
      Then it names its executor, its sandbox engine, its limits, its worker slots and its capabilities

    @severity-medium
    Scenario: The environments are listed with their versions and libraries
      When I list the environments
      Then "python" and "python-ml" are listed, each with its interpreter version and libraries
      And "python-ml" promises numpy, pandas, scipy and scikit-learn

  Rule: Bad input is refused with a 4xx naming the field

    @severity-high
    Scenario Outline: A submission with <problem> is refused, naming "<field>"
      When I submit the body <body>
      Then the answer is 422 and names the field "<field>"

      Examples:
        | problem                 | body                                              | field       |
        | no code                 | {"language": "python"}                            | code        |
        | empty code              | {"code": ""}                                      | code        |
        | blank code              | {"code": "   \t  "}                               | code        |
        | code that is a number   | {"code": 42}                                      | code        |
        | a zero timeout          | {"code": "print(1)", "timeout": 0}                | timeout     |
        | a timeout over 300      | {"code": "print(1)", "timeout": 301}              | timeout     |
        | a timeout in words      | {"code": "print(1)", "timeout": "soon"}           | timeout     |
        | a priority in words     | {"code": "print(1)", "priority": "high"}          | priority    |
        | an unknown language     | {"code": "print(1)", "language": "cobol"}         | language    |
        | an unknown environment  | {"code": "print(1)", "environment": "no-such"}    | environment |
        | a nonsense memory limit | {"code": "print(1)", "memory_limit": "lots"}      | memory_limit |

    @severity-high
    Scenario: A body that is not JSON is refused with 422
      When I submit the raw body "{this is not json"
      Then the answer is 422

    @severity-high
    Scenario: Code over 1 MiB is refused, naming "code"
      When I submit code of 1 MiB and one byte
      Then the answer is 422 and names the field "code"

    @severity-high
    Scenario: A body over 2 MiB is refused with 413
      When I submit a body of 2 MiB and one kilobyte
      Then the answer is 413

    @severity-high
    Scenario Outline: Asking for <what> of an evaluation that does not exist answers 404
      When I ask for <what> of an evaluation that does not exist
      Then the answer is 404

      Examples:
        | what       |
        | the record |
        | the status |
        | the logs   |

  Rule: Lists and pages are well formed

    @severity-medium
    Scenario: The list of evaluations has the contract's shape
      Given at least 3 evaluations exist
      When I list the evaluations
      Then the list carries its evaluations, count, limit, offset and has_more
      And each listed evaluation carries its id, status, creation time, code preview and success

    @severity-medium
    Scenario: A list filtered by an unknown status is refused, naming "status"
      When I list the evaluations with status "sleeping"
      Then the answer is 422 and names the field "status"
