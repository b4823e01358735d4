"""A pool of places (acute beds, reablement places ...) with a FIFO queue.

SimPy's Resource cannot change its capacity while running; beds open and close
with the calendar, so this small pool does the counting itself. `request`
returns None when a place is free now (no event needed: the common case costs
nothing), or an event that fires when the place is handed over.
"""

from __future__ import annotations

from collections import deque

import simpy


class Pool:
    """Places handed out first come, first served."""

    def __init__(self, env: simpy.Environment, capacity: float) -> None:
        """`capacity` may be math.inf: a service with no limit on places."""
        self.env = env
        self.capacity = capacity
        self.in_use = 0
        self.queue: deque[simpy.Event] = deque()

    def is_free(self) -> bool:
        return self.in_use < self.capacity and not self.queue

    def request(self) -> simpy.Event | None:
        """Take a place now (None) or join the queue (an event to wait for)."""
        if self.in_use < self.capacity and not self.queue:  # is_free(), written out: called for every spell
            self.in_use += 1
            return None
        handover = self.env.event()
        self.queue.append(handover)
        return handover

    def release(self) -> None:
        """Give a place back; the first in the queue gets it."""
        self.in_use -= 1
        if self.queue:  # usually empty: skip the call
            self._serve_queue()

    def cancel(self, handover: simpy.Event) -> None:
        """Leave the queue (the person no longer needs the place); if it was just handed over, give it back."""
        if handover.triggered:
            self.release()
        else:
            self.queue.remove(handover)

    def set_capacity(self, capacity: float) -> None:
        """Open or close places. Closing never evicts: it only stops new entries."""
        self.capacity = capacity
        self._serve_queue()

    def _serve_queue(self) -> None:
        while self.queue and self.in_use < self.capacity:
            self.in_use += 1
            self.queue.popleft().succeed()
