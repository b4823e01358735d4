"""The command line end to end: `run` writes the spec's result files; `check`, `schema`, `--help`.

Spec ("Outputs", "Indicator names", "Command line"): `run` writes summary.csv,
replications.csv, daily.csv and run.json into DIR (default results/<name>/);
the same seed gives the same numbers whatever the number of workers; progress
goes to stderr, results to files.

Runs are short (60 horizon days after 30 warm-up, 3 replications) so the whole
file takes a few seconds. Most go through sim.cli.main in-process; the workers
test and one run go through a real `python -m sim` process.
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.cli import COMMANDS as CLI_COMMANDS
from sim.cli import main
from sim.errors import MachineError
from sim.indicators import INDICATORS, unit_of
from sim.model import CENSUS_COLUMNS
from sim.files import write_atomically
from sim.scenario import load_scenario, scenario_hash

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"

HORIZON_DAYS, WARMUP_DAYS, REPLICATIONS = 60, 30, 3
SHORT = ["--set", f"run.horizon_days={HORIZON_DAYS}", "--set", f"run.warmup_days={WARMUP_DAYS}"]
SHORT_RUN = [*SHORT, "--replications", str(REPLICATIONS), "--quiet"]

RESULT_FILES = {"summary.csv", "replications.csv", "daily.csv", "los_histogram.csv", "run.json", "tasks.json", "tasks"}
SUMMARY_COLUMNS = ["scenario", "indicator", "unit", "mean", "ci_low", "ci_high", "replications"]
REPLICATION_COLUMNS = ["scenario", "replication", "indicator", "unit", "value"]

# The spec's table of indicator names ("Indicator names" in the model spec, which is not in the repository),
# written out with `pN` expanded to p0-p3. A name deleted from the model fails the presence test below.
PER_PATHWAY = [f"{stem}_p{i}" for stem in ("mean_delay_days", "pathway_share") for i in range(4)]
SPEC_INDICATORS = [
    "admissions_per_year", "readmissions_per_year",
    "mean_los_days", "median_los_days", "p90_los_days",
    "stranded_7d_share", "superstranded_21d_share",
    "delayed_bed_days_per_year", "mean_delay_days", "delayed_patients_mean",
    *PER_PATHWAY,
    "mean_occupancy_pct", "days_over_92pct_share", "mean_bed_wait_hours",
    "readmission_30d_rate", "at_home_91d_rate",
    "reablement_utilisation_pct", "reablement_independent_share",
    "in_hospital_mortality_rate", "cost_total_per_year",
    "bed_queue_mean", "bed_queue_end", "unstable_share", "mean_los_from_request_days",
    "cost_programme_per_year", "cost_net_per_year",
]


def run_cli(*argv: str) -> int:
    return main(list(argv))


def run_short(out_dir: Path, *extra: str) -> Path:
    """The baseline, short, in-process; returns the results folder."""
    status = run_cli("run", str(BASELINE), *SHORT_RUN, "--out", str(out_dir), *extra)
    assert status == 0
    return out_dir


def run_short_process(out_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    """The baseline, short, in a real `python -m sim` process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(BASELINE), *SHORT_RUN, "--out", str(out_dir), *extra],
        capture_output=True, text=True, env=env, cwd=out_dir.parent, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """One short run of the baseline with its own seed, shared by the read-only tests below."""
    return run_short(tmp_path_factory.mktemp("run") / "out")


# --- the four files -------------------------------------------------------------------------


def test_run_writes_its_files_and_nothing_else(results):
    """Atomic writes leave no temporary file behind; the task store holds one file per replication."""
    assert {p.name for p in results.iterdir()} == RESULT_FILES
    stored = sorted(p.name for p in (results / "tasks" / "baseline").iterdir())
    assert stored == [f"replication-{r:05d}.json" for r in range(REPLICATIONS)]


def test_summary_csv(results):
    summary = pd.read_csv(results / "summary.csv")
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert set(summary["scenario"]) == {"baseline"}
    assert list(summary["indicator"]) == list(INDICATORS)  # one row each, in the documented order
    assert (summary["replications"] == REPLICATIONS).all()
    assert list(summary["unit"]) == [unit_of(name) for name in summary["indicator"]]
    known = summary.dropna(subset=["mean"])
    assert (known["ci_low"] <= known["mean"] + 1e-9).all() and (known["mean"] <= known["ci_high"] + 1e-9).all()
    # the mean is the mean of the replications
    replications = pd.read_csv(results / "replications.csv")
    means = replications.groupby("indicator", sort=False)["value"].mean()
    pd.testing.assert_series_equal(
        summary.set_index("indicator")["mean"], means.rename("mean"), check_exact=False, rtol=1e-9
    )


def test_replications_csv(results):
    replications = pd.read_csv(results / "replications.csv")
    assert list(replications.columns) == REPLICATION_COLUMNS
    assert len(replications) == REPLICATIONS * len(INDICATORS)
    assert not replications.duplicated(["scenario", "replication", "indicator"]).any()
    assert sorted(set(replications["replication"])) == list(range(REPLICATIONS))
    assert set(replications["indicator"]) == set(INDICATORS)
    assert all(replications["unit"] == replications["indicator"].map(unit_of))
    # a busy ward admits people every day: the headline numbers are real numbers
    headline = replications.set_index("indicator").loc[["admissions_per_year", "mean_los_days", "mean_occupancy_pct"]]
    assert (headline["value"] > 0).all()


def test_daily_csv(results):
    daily = pd.read_csv(results / "daily.csv")
    assert list(daily.columns) == ["scenario", "replication", *CENSUS_COLUMNS]
    assert list(daily.columns[:3]) == ["scenario", "replication", "day"]
    assert len(daily) == REPLICATIONS * HORIZON_DAYS
    assert set(daily["scenario"]) == {"baseline"}
    for _, one in daily.groupby("replication"):
        assert list(one["day"]) == list(range(HORIZON_DAYS))
    assert sorted(set(daily["replication"])) == list(range(REPLICATIONS))


def test_run_json(results):
    meta = json.loads((results / "run.json").read_text(encoding="utf-8"))
    assert {"scenario", "scenario_hash", "seed", "replications", "package_version", "seconds"} <= set(meta)
    overrides = [f"run.horizon_days={HORIZON_DAYS}", f"run.warmup_days={WARMUP_DAYS}", f"run.replications={REPLICATIONS}"]
    resolved = load_scenario(BASELINE, overrides)
    assert meta["scenario"] == "baseline"
    assert meta["scenario_hash"] == scenario_hash(resolved)  # the hash of what was run, overrides included
    assert meta["scenario_hash"] != scenario_hash(load_scenario(BASELINE))
    assert meta["seed"] == resolved.run.seed
    assert meta["replications"] == REPLICATIONS
    assert meta["package_version"] == sim.__version__
    assert isinstance(meta["seconds"], (int, float)) and meta["seconds"] >= 0


def test_every_spec_indicator_is_computed_and_in_the_tables(results):
    missing = [name for name in SPEC_INDICATORS if name not in INDICATORS]
    assert not missing, f"indicators of the spec the model does not compute: {missing}"
    for file in ("summary.csv", "replications.csv"):
        present = set(pd.read_csv(results / file)["indicator"])
        assert set(INDICATORS) <= present, f"{file} lacks {sorted(set(INDICATORS) - present)}"


def readme_indicators(readme: str) -> list[str]:
    """The names in the first column of README's indicator table. A name may be written as a suffix of the one
    before it: `mean_los_days_p0`, `_p1` is mean_los_days_p0 and mean_los_days_p1."""
    section = readme.split("\n## Indicators\n", 1)[1].split("\n## ", 1)[0]
    names: list[str] = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        for token in re.findall(r"`([^`]+)`", line.split("|")[1]):
            names.append(names[-1].rsplit("_", 1)[0] + token if token.startswith("_") else token)
    return names


def test_readme_lists_every_indicator_and_no_other():
    listed = readme_indicators((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(listed) == len(set(listed)), "a name is listed twice"
    assert sorted(set(INDICATORS) - set(listed)) == [], "computed but not in README's table"
    assert sorted(set(listed) - set(INDICATORS)) == [], "in README's table but not computed"


def test_the_readme_reader_expands_suffixes_and_skips_other_rows():
    """Negative control for the test above: what the reader makes of a small table."""
    table = "intro\n## Indicators\n| indicator | unit |\n| --- | --- |\n| `a_p0`, `_p1` | days |\n| `b`, `c` | `d` in another column |\n## Next\n| `e` |"
    assert readme_indicators(table) == ["a_p0", "a_p1", "b", "c"]


# --- reproducibility --------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_tables(results, tmp_path):
    again = run_short(tmp_path / "again")
    for name in ("replications.csv", "summary.csv", "daily.csv"):
        assert (again / name).read_bytes() == (results / name).read_bytes(), name


def test_other_seed_gives_other_numbers(results, tmp_path):
    other = run_short(tmp_path / "other", "--seed", "7")
    first = pd.read_csv(results / "replications.csv")
    second = pd.read_csv(other / "replications.csv")
    assert list(first["indicator"]) == list(second["indicator"])
    changed = ~((first["value"] == second["value"]) | (first["value"].isna() & second["value"].isna()))
    assert changed.mean() > 0.5, "most indicator values should differ with another seed"
    assert json.loads((other / "run.json").read_text())["seed"] == 7


def test_workers_do_not_change_the_numbers(tmp_path):
    """Real processes: --workers 2 gives the same bytes as --workers 1."""
    one = tmp_path / "workers1"
    two = tmp_path / "workers2"
    first = run_short_process(one, "--workers", "1")
    run_short_process(two, "--workers", "2")
    for name in ("replications.csv", "daily.csv"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    # results go to files; stdout stays empty, the one-line report goes to stderr
    assert first.stdout == ""
    assert "baseline" in first.stderr and "Traceback" not in first.stderr
    assert {p.name for p in one.iterdir()} == RESULT_FILES


# --- where results go -------------------------------------------------------------------------


def test_default_out_is_results_slash_scenario_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli("run", str(BASELINE), *SHORT_RUN, "--replications", "2") == 0
    assert {p.name for p in (tmp_path / "results" / "baseline").iterdir()} == RESULT_FILES
    assert run_cli("run", str(BASELINE), *SHORT_RUN, "--replications", "2", "--set", "name=short-test") == 0
    assert {p.name for p in (tmp_path / "results" / "short-test").iterdir()} == RESULT_FILES
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["baseline", "short-test"]


def test_rerun_into_the_same_folder_replaces_the_files(tmp_path):
    out = run_short(tmp_path / "out")
    run_short(out, "--replications", "2")
    assert {p.name for p in out.iterdir()} == RESULT_FILES
    assert json.loads((out / "run.json").read_text())["replications"] == 2
    assert set(pd.read_csv(out / "replications.csv")["replication"]) == {0, 1}


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "summary.csv"
    target.write_text("old\n")

    def half_written(temporary: Path) -> None:
        temporary.write_text("new, but the disk filled up")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(MachineError, match="summary.csv: cannot be written"):  # named, not the temporary file
        write_atomically(target, half_written)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


# --- check, schema, --help --------------------------------------------------------------------


def test_check_baseline_prints_a_one_line_summary(capsys):
    assert run_cli("check", str(BASELINE)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{BASELINE}: OK")
    assert "baseline" in lines[0]


def test_check_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_cli("check", str(BASELINE)) == 0
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def schema() -> dict:
    from contextlib import redirect_stdout
    from io import StringIO

    printed = StringIO()
    with redirect_stdout(printed):
        assert run_cli("schema") == 0
    return json.loads(printed.getvalue())  # valid JSON, or this fails


def resolve(schema: dict, node: dict) -> dict:
    """Follow a local $ref (pydantic puts sections under $defs)."""
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        return schema["$defs"][name]
    return node


def field(schema: dict, dotted: str) -> dict:
    """The schema of a field by its scenario key path, e.g. 'acute.beds'."""
    node = schema
    for key in dotted.split("."):
        node = resolve(schema, resolve(schema, node)["properties"][key])
    return node


def test_schema_is_a_json_schema_of_every_section(schema):
    assert schema["type"] == "object"
    top = set(schema["properties"])
    assert {"name", "run", "age_bands", "demand", "acute", "clinical_stay", "in_hospital_death",
            "pathways", "discharge", "services"} <= top
    assert set(schema["properties"]) == set(load_scenario(BASELINE).model_dump()), "schema and model agree"
    assert schema["additionalProperties"] is False  # unknown keys refused, as in `check`


@pytest.mark.parametrize(
    "dotted, unit",
    [
        ("acute.beds", "beds"),
        ("run.horizon_days", "days"),
        ("demand.arrivals_per_day", "admissions/day"),
        ("services.reablement.places", "places"),
        ("discharge.start_hour", "hour 0-24"),
    ],
)
def test_schema_fields_carry_their_unit(schema, dotted, unit):
    spec = field(schema, dotted)
    assert spec["unit"] == unit
    assert f"[{unit}]" in spec["description"]


def test_schema_is_valid_and_accepts_the_baseline(schema):
    import jsonschema  # in the test extra
    import yaml

    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator_class.check_schema(schema)
    validator_class(schema).validate(yaml.safe_load(BASELINE.read_text(encoding="utf-8")))


COMMANDS = sorted(CLI_COMMANDS)  # every subcommand the CLI dispatches


def test_the_commands_of_the_spec_exist():
    assert {"run", "check", "schema"} <= set(COMMANDS)


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_works_for_every_command(capsys, command):
    argv = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    out, _ = capsys.readouterr()
    assert out.startswith("usage: python -m sim")
    if command is not None:
        assert command in out.splitlines()[0]


def test_help_in_a_real_process():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    done = subprocess.run([sys.executable, "-m", "sim", "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0
    for command in ("run", "check", "schema"):
        assert command in done.stdout


# --- a gap found in review, now fixed ---------------------------------------------------------


def test_result_files_are_readable_like_ordinary_files(results):
    umask = os.umask(0)
    os.umask(umask)
    for path in [p for p in results.rglob("*") if p.is_file()]:
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path
