"""Retry schedule of the sync queue: exponential backoff as BullMQ computes it."""


def retry_delay(attempts_made: int, base_seconds: float) -> float:
    """Delay before the next attempt after `attempts_made` failures: base * 2^(n-1), so 5, 10, 20 s."""
    if attempts_made < 1:
        raise ValueError("retry_delay needs at least one failed attempt")
    return base_seconds * 2 ** (attempts_made - 1)


def exhausted(attempts_made: int, max_attempts: int) -> bool:
    """Four attempts give the three waits of 5, 10 and 20 s; the fourth failure is final."""
    return attempts_made >= max_attempts
