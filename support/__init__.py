"""The acceptance suite's support layer: the one place that knows URLs, keys, tables and tasks."""
