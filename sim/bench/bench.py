"""Time the bench ward through our full model and through the plain SimPy reference.

Both run in this process, alternately, `repeats` times each; the best (least)
time of each is kept, as timeit does, since noise only ever adds time. Our time
covers the whole replication: drawing arrivals, the simulation with its
records, and the indicators (the model's output). Patients are the admission
requests generated in the simulated period. Results go to stdout, the ratio
last; progress goes to stderr.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from typing import Any

from sim.bench import reference
from sim.bench.ward import bench_ward_scenario
from sim.model import draw_arrivals
from sim.runner import run_replication
from sim.streams import Streams

REFERENCE_SEED = 42


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()  # garbage left by the other implementation is not charged to this one
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def run_bench(years: float = 5.0, repeats: int = 3) -> dict:
    """Run the benchmark, print its results and return them."""
    scenario = bench_ward_scenario(years)
    horizon = scenario.run.horizon_days
    arrivals = draw_arrivals(scenario, Streams(scenario.run.seed, 0))  # the same draws run_replication makes
    ours_patients = int(((arrivals.time >= 0) & (arrivals.time < horizon)).sum())

    ours_times: list[float] = []
    reference_times: list[float] = []
    for repeat in range(repeats):
        seconds, result = _timed(lambda: run_replication(scenario, 0))
        ours_times.append(seconds)
        ours_admitted = round(result.indicators["admissions_per_year"] * horizon / 365.0)
        seconds, counts = _timed(lambda: reference.run(years, REFERENCE_SEED))
        reference_times.append(seconds)
        print(
            f"repeat {repeat + 1}/{repeats}: ours {ours_times[-1]:.3f} s, reference {reference_times[-1]:.3f} s",
            file=sys.stderr,
        )

    ours = _summary(ours_patients, ours_admitted, min(ours_times))
    ref = _summary(counts["arrived"], counts["admitted"], min(reference_times))
    ratio = ours["patients_per_second"] / ref["patients_per_second"]

    print(
        f"bench ward: {years:g} simulated years, {reference.ARRIVALS_PER_DAY:g} arrivals/day, "
        f"{reference.BEDS} beds, {reference.SERVICE_PLACES} service places; best of {repeats}"
    )
    for label, row in (("ours (full model + indicators)", ours), ("plain SimPy reference", ref)):
        print(
            f"{label:31s} {row['patients']:8d} patients ({row['admitted']} admitted) in {row['seconds']:.3f} s: "
            f"{row['patients_per_second']:9.0f} patients/s, {row['us_per_patient']:.1f} us/patient"
        )
    print(f"ratio_vs_simpy_reference: {ratio:.2f}")
    return {"years": years, "repeats": repeats, "ours": ours, "reference": ref, "ratio": ratio}


def _summary(patients: int, admitted: int, seconds: float) -> dict:
    return {
        "patients": patients,
        "admitted": admitted,
        "seconds": seconds,
        "patients_per_second": patients / seconds,
        "us_per_patient": 1e6 * seconds / patients,
    }
