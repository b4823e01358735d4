"""The bench ratio by instruction counts: repeatable where wall time on a shared machine is not.

Runs three small Python programs under valgrind's callgrind: one that only
imports and builds the scenario, one that also runs our replication of the
bench ward, one that also runs the plain SimPy reference. The imports are
subtracted, so the ratio is reference instructions / ours, for the same
simulated time. Hash seeds and BLAS threads are fixed so counts repeat.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sim.errors import InputError

SETUP = "import numpy, simpy, sim.runner, sim.bench.reference\nfrom sim.bench.ward import bench_ward_scenario\nsc = bench_ward_scenario({years})\n"
PROGRAMS = {
    "imports": "",
    "ours": "sim.runner.run_replication(sc, 0)\n",
    "reference": "sim.bench.reference.run({years}, sim.bench.bench.REFERENCE_SEED)\n",
}


def summary_instructions(callgrind_output: str) -> int:
    """The total instruction count from a callgrind output file's `summary:` line."""
    found = re.search(r"^summary:\s+(\d+)", callgrind_output, flags=re.MULTILINE)
    if not found:
        raise ValueError("no 'summary:' line in the callgrind output")
    return int(found.group(1))


def count_instructions(years: float = 0.5) -> dict[str, float]:
    """Instructions (imports subtracted) of ours and of the reference, and their ratio."""
    if shutil.which("valgrind") is None:
        raise InputError("bench --instructions needs valgrind (Debian: apt-get install valgrind)")
    python = sys.executable  # as started: a virtual environment's python keeps its packages
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    setup = SETUP.format(years=years) + "import sim.bench.bench\n"
    subprocess.run([python, "-c", setup], env=env, check=True)  # write .pyc files first: counts then repeat
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(max_workers=len(PROGRAMS)) as pool:
        def run(name: str) -> int:
            out = Path(folder) / f"{name}.out"
            program = setup + PROGRAMS[name].format(years=years)
            subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", python, "-c", program],
                env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            return summary_instructions(out.read_text())

        counts = dict(zip(PROGRAMS, pool.map(run, PROGRAMS), strict=True))
    ours, reference = counts["ours"] - counts["imports"], counts["reference"] - counts["imports"]
    return {"ours": ours, "reference": reference, "ratio": reference / ours}
