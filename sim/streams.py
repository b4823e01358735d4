"""Named random streams: one numpy Generator per purpose per replication.

A stream's seed comes from the scenario seed, the replication number and a
stable digest of the purpose's name (never Python's `hash()`, which changes
between processes). Adding a stream, or changing a capacity, therefore shifts
no other stream: two scenarios run with the same seed see the same arrivals and
the same clinical stays (common random numbers), and paired comparisons are sharp.
"""

from __future__ import annotations

import hashlib

import numpy as np


def name_digest(name: str) -> list[int]:
    """Four 32-bit words from SHA-256 of the name: stable across runs and machines."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]


class Streams:
    """The random streams of one replication, made on first use and kept."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._generators: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        generator = self._generators.get(name)
        if generator is None:
            sequence = np.random.SeedSequence([self.seed, self.replication, *name_digest(name)])
            generator = np.random.Generator(np.random.PCG64(sequence))
            self._generators[name] = generator
        return generator
