"""Does a queue grow without bound? A test on one replication's midnight queue over the horizon.

A queue of people waiting for a place (an acute bed, a reablement place ...)
in a system that cannot keep up grows for as long as the run lasts, and every
indicator read from such a run (length of stay from admission, occupancy,
delays) describes a system being overwhelmed, not a steady state.

The rule: a queue is judged unbounded when, in the last third of the horizon,

1. **it never cleared**: someone was waiting at every midnight (all but
   BUSY_SLACK, 1 %, of them). A queue exists only while every place is
   taken, so a queue that empties now and then, however long it gets,
   belongs to a system that is keeping up; and
2. **it was large against demand**: on average it held more than a week's
   requests (BACKLOG_DAYS times the mean number of requests for a place made
   a day in the horizon; over a year, about 2 % of the year's requests).

Why a backlog rather than a trend alone: a stable queue wanders, and near
full load it wanders far (the midnight queue of a 15-bed M/M/c ward at 95 %
load drifts by tens of people over a year), so a trend over-reacts; and a
system already overwhelmed during the warm-up can hold hundreds of people
all year while its queue rises in winter and falls in summer, with no trend
to see. A queue that grows without bound meets both conditions sooner or
later: it stops clearing, and it holds an ever larger share of the requests.
The false-alarm and detection rates measured on M/M/c wards
are in README ("Results you can trust") and tests/test_stability.py.
"""

from __future__ import annotations

import numpy as np

BACKLOG_DAYS = 7.0  # mean queue over the last third, in days of requests
BUSY_SLACK = 0.01  # share of the last third's midnights allowed with nobody waiting


def last_third(queue: np.ndarray) -> np.ndarray:
    queue = np.asarray(queue, dtype=float)
    return queue[-max(len(queue) // 3, 1):]


def grows_without_bound(queue: np.ndarray, requests: float) -> bool:
    """True if the midnight `queue` (one value a horizon day) never cleared and was large in the horizon's last third.

    `requests`: requests for a place made over those days (the scale "large" is measured against).
    """
    queue = np.asarray(queue, dtype=float)
    if len(queue) < 3 or requests <= 0:
        return False
    end = last_third(queue)
    never_cleared = np.mean(end > 0) >= 1 - BUSY_SLACK
    return bool(never_cleared and end.mean() > BACKLOG_DAYS * requests / len(queue))
