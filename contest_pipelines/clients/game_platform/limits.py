"""What the game platform is spared: call starts spaced to a rate, shared by every thread of one client."""

import threading
from time import monotonic, sleep  # bound here: a test that patches time.sleep for tenacity leaves pacing real

# Calls reach the vendor a few milliseconds off the instant they were let go (thread wake-ups, the GIL,
# the network). Spacing them as if a second lasted 1.05 s keeps every 1-second window the vendor can
# measure within the limit, unless that jitter reaches 50 ms.
WINDOW_GUARD = 1.05


class CallPacer:
    """At most `calls_per_second` call starts in any second, evenly spaced, whichever thread asks.

    Hand-written on purpose: it is a lock and one timestamp. The maintained limiter that fits
    (pyrate-limiter) is not a runtime dependency (it only comes with the test extras, via schemathesis),
    and its sliding window lets a full second's calls start together, where this one spreads them out.
    """

    def __init__(self, calls_per_second: float):
        if calls_per_second <= 0:
            raise ValueError("calls_per_second must be positive")
        self.calls_per_second = calls_per_second
        self.interval = WINDOW_GUARD / calls_per_second
        self._next = float("-inf")  # the next free start slot, on the monotonic clock
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Block until this caller's start slot; returns the seconds it waited."""
        with self._lock:
            now = monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
            delay = slot - now
        if delay > 0:
            sleep(delay)
        return delay
