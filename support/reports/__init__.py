"""The gate's reports: one model of the run (model.py), built by the pytest plugin
(plugin.py) from pytest's and pytest-bdd's hooks, and written by one small writer per
format (cucumber JSON, JUnit XML, SARIF, HTML, summary.json). See docs/reports.md."""
