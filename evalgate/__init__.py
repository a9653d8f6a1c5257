"""evalgate: the acceptance gate as a command (`evalgate run`), for an operator's CI."""
