"""The place pool (FIFO, changing capacity) and the named random streams."""

import numpy as np
import simpy

from sim.model.pool import Pool
from sim.streams import Streams


def test_pool_hands_places_over_first_come_first_served():
    env = simpy.Environment()
    pool = Pool(env, capacity=1)
    served = []

    def patient(name, arrive, stay):
        yield env.timeout(arrive)
        place = pool.request()
        if place is not None:
            yield place
        served.append((name, env.now))
        yield env.timeout(stay)
        pool.release()

    for name, arrive in [("a", 0), ("b", 1), ("c", 2)]:
        env.process(patient(name, arrive, 10))
    env.run()
    assert served == [("a", 0), ("b", 10), ("c", 20)]


def test_opening_places_serves_the_queue_and_closing_evicts_nobody():
    env = simpy.Environment()
    pool = Pool(env, capacity=2)
    assert pool.request() is None and pool.request() is None
    waiting = [pool.request(), pool.request()]
    assert pool.in_use == 2 and len(pool.queue) == 2
    pool.set_capacity(3)
    assert waiting[0].triggered and not waiting[1].triggered and pool.in_use == 3
    pool.set_capacity(1)
    assert pool.in_use == 3  # nobody is evicted
    pool.release()
    pool.release()
    assert not waiting[1].triggered and pool.in_use == 1  # still above the new capacity
    pool.release()
    assert waiting[1].triggered and pool.in_use == 1


def test_streams_are_named_not_ordered():
    first = Streams(seed=7, replication=3)
    second = Streams(seed=7, replication=3)
    second("something new").uniform(size=100)  # using another stream first shifts nothing
    assert np.array_equal(first("arrivals:85+").uniform(size=5), second("arrivals:85+").uniform(size=5))
    assert not np.array_equal(Streams(7, 3)("a").uniform(size=5), Streams(7, 3)("b").uniform(size=5))
    assert not np.array_equal(Streams(7, 3)("a").uniform(size=5), Streams(7, 4)("a").uniform(size=5))
    assert not np.array_equal(Streams(7, 3)("a").uniform(size=5), Streams(8, 3)("a").uniform(size=5))
