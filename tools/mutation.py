"""Mutation testing of one module against its own tests (a developer's tool, not part of CI).

    nice -n 19 .venv/bin/python tools/mutation.py indicators        # or compare, hospital, census_start, load
    nice -n 19 .venv/bin/python tools/mutation.py indicators --show  # and print each survivor's diff
    nice -n 19 .venv/bin/python tools/mutation.py indicators --retest  # after new tests: only last time's survivors
    nice -n 19 .venv/bin/python tools/mutation.py hospital --sample 150  # a random sample of the mutants (seed 18)

mutmut (the `dev` extra) makes small changes to a module's functions one at a
time and runs the tests that reach the changed function; a change no test
notices "survives". mutmut reads one configuration from the pyproject.toml of
the folder it runs in, so each module gets its own copy of the repository
(sim, tests, scenarios, calibration; default under /tmp/sim-mutation/) whose
pyproject names the module and its most relevant test files: a mutant then
costs seconds, not the whole suite. The repository itself is never changed.
Prints the counts by status, the score (killed / mutants with a verdict) and
the surviving mutants' names. Where the tests that reach a module are slow
(the hospital's run the model), `--sample N` tests a random sample of its
mutants, the same one every time, and the score is an estimate.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COPIED = ("sim", "tests", "scenarios", "calibration")
# Tests that start `python -m sim` in a new process cannot run under mutmut (the mutated code there looks for
# mutmut's settings in the process's working directory); they test the command line, not these modules.
DESELECT = "not real_process"

# Of the hostile-input corpus, the cases that reach the file and YAML reader's limits and checks (alias bombs,
# nesting, extends chains, odd keys, files that are not files, bad YAML, bad --set): a -k expression, as the
# cases are parameters of one test.
HOSTILE_YAML = ("not test_hostile_input or alias or nested or contains or extends or key or scenario or MiB or UTF"
                " or tabs or unclosed or undefined or empty or top or without or bad")
KEYWORDS = {"load": HOSTILE_YAML}  # module -> a -k expression its tests must also match

# module -> (its file, the test files or test ids that check it)
MODULES: dict[str, tuple[str, list[str]]] = {
    "indicators": ("sim/indicators.py", [
        "tests/test_indicators_by_value.py", "tests/test_outcome_indicators.py", "tests/test_spells_listing.py",
    ]),
    "compare": ("sim/batch/compare.py", ["tests/test_comparisons_by_value.py", "tests/test_batch.py"]),
    "hospital": ("sim/model/hospital.py", [
        "tests/test_model_behaviour.py", "tests/test_community_services.py", "tests/test_readmissions.py",
        "tests/test_outcome_indicators.py", "tests/test_warm_start.py::test_the_census_people_are_where_the_census_says_on_day_0",
        "tests/test_warm_start.py::test_census_patients_keep_what_is_left_of_their_stays",
    ]),
    "census_start": ("sim/model/census_start.py", ["tests/test_census_by_value.py"] + [
        f"tests/test_warm_start.py::{name}" for name in (
            "test_the_census_people_are_where_the_census_says_on_day_0",
            "test_the_census_leaves_out_people_who_died_after_a_recent_discharge",
            "test_more_people_in_beds_than_beds_is_refused",
            "test_census_patients_who_will_die_keep_the_time_to_death_of_new_ones",
            "test_census_patients_keep_what_is_left_of_their_stays",
            "test_a_census_file_round_trips",
        )  # not the 2-minute comparison with a long warm-up: every surviving mutant would run it
    ] + ["tests/test_backtest.py::test_the_census_command_writes_a_census_and_an_observed_series"]),
    "load": ("sim/scenario/load.py", [
        "tests/test_scenario_loading.py", "tests/test_scenario_errors.py", "tests/test_scenario_errors_services.py",
        "tests/test_shipped_configs.py", "tests/test_hostile_inputs.py",
        "tests/test_warm_start.py::test_a_census_path_is_read_relative_to_the_file_that_names_it",
        # the other settings files' errors go through file_error
        "tests/test_calibration_targets.py::test_bad_targets_are_refused_naming_the_key",
        "tests/test_sensitivity.py::test_a_bad_config_exits_2_naming_the_key",
        "tests/test_batch.py::test_a_bad_batch_file_exits_2_naming_the_key",
    ]),
}


def prepare(module: str, source: Path, work: Path, fresh: bool = True) -> list[str]:
    """A copy of `source` in `work` (fresh, or with only its tests brought up to date), configured for mutmut;
    returns the tests that exist there."""
    target, tests = MODULES[module]
    if fresh:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    for name in COPIED if fresh else ("tests",):
        shutil.copytree(source / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                        dirs_exist_ok=True)
    present = [t for t in tests if exists(work, t)]
    listed = ", ".join(f'"{t}"' for t in present)
    keywords = f"{DESELECT} and ({KEYWORDS[module]})" if module in KEYWORDS else DESELECT
    config = (
        "\n[tool.mutmut]\n"
        'source_paths = ["sim"]\n'
        f'only_mutate = ["{target}"]\n'
        f"pytest_add_cli_args_test_selection = [{listed}]\n"
        f'pytest_add_cli_args = ["-k", "{keywords}"]\n'
        'also_copy = ["scenarios", "calibration"]\n'
    )
    (work / "pyproject.toml").write_text((source / "pyproject.toml").read_text(encoding="utf-8") + config, encoding="utf-8")
    return present


def exists(work: Path, test: str) -> bool:
    """A test file, or a test function in one, that is in the copy (an older copy may lack newer tests)."""
    file, _, name = test.partition("::")
    path = work / file
    return path.is_file() and (not name or f"def {name}(" in path.read_text(encoding="utf-8"))


def statuses(work: Path) -> dict[str, str]:
    """mutant name -> killed, survived, no tests, timeout, ... as mutmut last recorded it."""
    return dict(re.findall(r"^\s+(\S+): (.+)$", mutmut(work, "results", "--all", "true"), flags=re.MULTILINE))


def mutmut(work: Path, *args: str, check: bool = True) -> str:
    done = subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=work, capture_output=True, text=True, check=False)
    if done.returncode != 0 and args[0] == "run" and check:
        sys.exit(f"mutmut {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", choices=sorted(MODULES))
    parser.add_argument("--source", type=Path, default=REPO, help="repository to copy (default: this one)")
    parser.add_argument("--work", type=Path, help="folder for the copy (default: /tmp/sim-mutation/MODULE)")
    parser.add_argument("--show", action="store_true", help="print the diff of every surviving mutant")
    parser.add_argument("--retest", action="store_true", help="keep the last run; test its survivors with today's tests")
    parser.add_argument("--sample", type=int, help="test only this many mutants, chosen at random (seed 18)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.gettempdir()) / "sim-mutation" / args.module
    if args.retest and not (work / "mutants").is_dir():
        sys.exit(f"no earlier run in {work}; run without --retest first")
    again = [n for n, v in statuses(work).items() if v in ("survived", "no tests")] if args.retest else []
    tests = prepare(args.module, args.source.resolve(), work, fresh=not args.retest)
    print(f"{MODULES[args.module][0]} against {', '.join(tests)}", flush=True)
    if args.sample and not args.retest:  # make the mutants and the map of tests (then it finds none to test)
        mutmut(work, "run", "no-such-mutant*", check=False)
        again = random.Random(18).sample(sorted(statuses(work)), args.sample)
    if not args.retest or again:
        mutmut(work, "run", *again)
    status = statuses(work)
    if args.sample:
        status = {name: verdict for name, verdict in status.items() if verdict != "not checked"}
    counts = Counter(status.values())
    verdicts = counts["killed"] + counts["timeout"] + counts["survived"] + counts["no tests"]
    caught = counts["killed"] + counts["timeout"]
    print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if verdicts:
        print(f"score {caught}/{verdicts} = {caught / verdicts:.1%} (killed or timed out / all with a verdict)")
    for name, verdict in sorted(status.items()):
        if verdict in ("survived", "no tests"):
            print(f"{verdict}: {name}")
            if args.show:
                print(mutmut(work, "show", name))


if __name__ == "__main__":
    main()
