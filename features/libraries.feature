@environment
Feature: Every environment provides what it promises
  GET /api/environments lists each environment with its interpreter version and the
  libraries it promises. Each listed environment is checked from the inside: the
  examples below are the environments the platform lists at the start of the run.

  @severity-medium
  Scenario Outline: <environment> runs the interpreter and every library it lists
    Given the environment "<environment>" as the platform lists it
    When I import every library it promises inside it
    Then every promised library imports, at the version listed
    And the interpreter inside is the version listed

    Examples: the environments GET /api/environments lists
      | environment |
