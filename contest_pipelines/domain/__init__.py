"""Pure decisions with no I/O: the validation matrix, backoff and (later) scoring and ranking."""
