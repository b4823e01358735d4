"""Every configuration file the repository ships is loaded and checked: a broken example fails here, not in a user's hands.

Scenarios (the baseline, interventions, validation wards), the batch, the
sensitivity analysis and the calibration (fit settings and targets) are each
read by the loader the command line uses, and checked for what they promise:
an intervention extends the baseline and changes it; a batch compares every
shipped intervention and splits its package into exactly the component's
values; sampled sensitivity points stay in their ranges; calibration bounds
make valid scenarios; the long-stay census holds whom the baseline says. A
new YAML or CSV file under scenarios/ or calibration/ must be added to a list
here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.backtest import read_observed
from sim.batch.plan import BASELINE as BASELINE_NAME
from sim.batch.plan import load_batch
from sim.calibrate.settings import load_calibration
from sim.calibrate.targets import load_targets
from sim.cli import main
from sim.indicators import INDICATORS
from sim.inputs.extract import read_extract
from sim.model import CENSUS_COLUMNS
from sim.scenario import load_scenario
from sim.scenario.load import MISSING, value_at
from sim.sensitivity import base_scenario, load_config, point_scenarios, sample_points

REPO = Path(__file__).resolve().parents[1]
SCENARIOS, CALIBRATION = REPO / "scenarios", REPO / "calibration"
BASELINE = SCENARIOS / "baseline.yaml"
INTERVENTIONS = sorted((SCENARIOS / "interventions").glob("*.yaml"))
VALIDATION = sorted((SCENARIOS / "validation").glob("*.yaml"))
SCENARIO_FILES = [BASELINE, *INTERVENTIONS, *VALIDATION]
BATCHES = sorted((SCENARIOS / "batches").glob("*.yaml"))
SENSITIVITY = sorted((SCENARIOS / "sensitivity").glob("*.yaml"))
FIT_SETTINGS = [CALIBRATION / "baseline.yaml"]
TARGETS = [CALIBRATION / "targets.yaml"]
LONG_STAY_CENSUS = SCENARIOS / "long_stay_census.csv"
HISTORY = [CALIBRATION / "history" / "census_day0.csv", CALIBRATION / "history" / "observed_daily.csv"]
EXTRACT = CALIBRATION / "history" / "spells_extract.csv"


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(REPO)) for p in paths]


def changed_paths(a: dict, b: dict, prefix: str = "") -> set[str]:
    """Dotted key paths whose values differ between two dumped scenarios (down to the first non-mapping)."""
    changed = set()
    for key in a.keys() | b.keys():
        here = f"{prefix}{key}"
        if isinstance(a.get(key), dict) and isinstance(b.get(key), dict) and "distribution" not in a[key]:
            changed |= changed_paths(a[key], b[key], here + ".")
        elif a.get(key, MISSING) != b.get(key, MISSING):
            changed.add(here)
    return changed


def test_every_shipped_config_is_in_a_list_here():
    shipped = {p for folder in (SCENARIOS, CALIBRATION) for kind in ("*.yaml", "*.csv") for p in folder.rglob(kind)}
    listed = {*SCENARIO_FILES, *BATCHES, *SENSITIVITY, *FIT_SETTINGS, *TARGETS, LONG_STAY_CENSUS, *HISTORY, EXTRACT}
    assert shipped == listed
    assert len(INTERVENTIONS) >= 8 and VALIDATION and BATCHES and SENSITIVITY  # the globs found the folders


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=ids(SCENARIO_FILES))
def test_a_shipped_scenario_passes_check_and_is_named_after_its_file(path, capsys):
    assert main(["check", str(path)]) == 0, capsys.readouterr().err
    assert f"OK: scenario '{path.stem}'" in capsys.readouterr().out


@pytest.fixture(scope="module")
def baseline_values() -> dict:
    return load_scenario(BASELINE).model_dump(mode="json")


@pytest.mark.parametrize("path", INTERVENTIONS, ids=ids(INTERVENTIONS))
def test_an_intervention_extends_the_baseline_and_changes_it(path, baseline_values):
    extends = yaml.safe_load(path.read_text(encoding="utf-8"))["extends"]
    assert (path.parent / extends).resolve() == BASELINE.resolve()
    changes = changed_paths(load_scenario(path).model_dump(mode="json"), baseline_values)
    assert changes - {"name", "description"}, "the intervention changes nothing but its name"


@pytest.mark.parametrize("path", BATCHES, ids=ids(BATCHES))
def test_a_shipped_batch_compares_every_intervention_and_splits_its_packages_exactly(path):
    plan = load_batch(path)
    assert next(iter(plan.scenarios)) == BASELINE_NAME
    assert {p.stem for p in INTERVENTIONS} <= set(plan.scenarios)
    batch = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert plan.replications == batch["replications"] and plan.seed == batch["seed"]
    assert all(s.run.seed == batch["seed"] for s in plan.scenarios.values())  # common random numbers
    assert plan.components, "the shipped batch splits a package"
    dumped = {name: s.model_dump(mode="json") for name, s in plan.scenarios.items()}
    for package in batch.get("packages", []):
        components = package["components"]
        assert {c.name for c in plan.components if c.package == package["scenario"]} == set(components)
    for component in plan.components:
        keys = set(dict((p["scenario"], p["components"]) for p in batch["packages"])[component.package][component.name])
        # "only": the baseline with the component's values from the package; "without": the package with them put back
        only = changed_paths(dumped[component.only], dumped[BASELINE_NAME]) - {"name"}
        without = changed_paths(dumped[component.without], dumped[component.package]) - {"name"}
        assert only and without
        assert {k for k in only if not any(k == key or k.startswith(key + ".") for key in keys)} == set(), component
        assert {k for k in without if not any(k == key or k.startswith(key + ".") for key in keys)} == set(), component
        for key in keys:
            assert value_at(dumped[component.only], key) == value_at(dumped[component.package], key)
            assert value_at(dumped[component.without], key) == value_at(dumped[BASELINE_NAME], key)


@pytest.mark.parametrize("path", SENSITIVITY, ids=ids(SENSITIVITY))
def test_a_shipped_sensitivity_config_samples_valid_scenarios_inside_its_ranges(path):
    """Every sampled point is inside its ranges; the points holding a parameter at an end of its range (where a
    range, or a balanced pair, would first make an invalid scenario) are built as scenarios. Building all of
    them takes a YAML parse each, several seconds; the command does that when it runs."""
    config, config_path = load_config(path)
    assert set(config.indicators) <= set(INDICATORS)
    points = sample_points(config)
    if config.method == "morris":
        assert len(points) == config.samples * (len(config.parameters) + 1)
    for parameter, column in zip(config.parameters, points.T, strict=True):
        assert parameter.low <= column.min() and column.max() <= parameter.high, parameter.key
        assert column.min() < column.max(), f"{parameter.key} is never varied"
    ends = sorted({int(column.argmin()) for column in points.T} | {int(column.argmax()) for column in points.T})
    scenarios = point_scenarios(config, config_path, base_scenario(config, config_path), points[ends])
    assert len(scenarios) == len(ends)
    for scenario, row in zip(scenarios.values(), points[ends], strict=True):
        tree = scenario.model_dump(mode="json")
        for parameter, value in zip(config.parameters, row, strict=True):
            assert value_at(tree, parameter.key) == pytest.approx(round(value) if parameter.integer else value)


@pytest.mark.parametrize("path", FIT_SETTINGS, ids=ids(FIT_SETTINGS))
def test_shipped_fit_settings_load_and_their_bounds_make_valid_scenarios(path):
    """The search may visit any point inside the bounds: every parameter at its lower bound, and every one at
    its upper bound, are valid scenarios that set the parameters' keys."""
    calibration = load_calibration(path)
    assert calibration.targets
    for parameter in calibration.parameters:
        assert parameter.low <= calibration.start_values[parameter.name] <= parameter.high, parameter.name
    for end in ("low", "high"):
        values = {p.name: getattr(p, end) for p in calibration.parameters}
        tree = calibration.scenario_at(values).model_dump(mode="json")
        for assignment in calibration.overrides(values):
            key, _, value = assignment.partition("=")
            assert value_at(tree, key) == pytest.approx(yaml.safe_load(value)), assignment


@pytest.mark.parametrize("path", TARGETS, ids=ids(TARGETS))
def test_shipped_targets_load_with_known_indicators(path):
    targets = load_targets(path)
    assert len(targets) >= 5
    assert {t.indicator for t in targets} <= set(INDICATORS)
    assert all(t.standard_deviation() > 0 for t in targets)


def test_the_baseline_s_long_stay_census_holds_the_people_its_comment_says():
    """baseline.yaml: "457 people in care homes and 918 with home care packages" when the warm-up starts."""
    census = load_scenario(BASELINE).census
    places = {place: sum(e.place == place for e in census) for place in {e.place for e in census}}
    assert places == {"care_home": 457, "home_care": 918}


def test_the_shipped_history_fits_the_baseline():
    """The synthetic census loads with the baseline, and the observed series has days from 0 and census measures."""
    scenario = load_scenario(BASELINE, [f"census={HISTORY[0]}"])
    assert scenario.census
    observed = read_observed(HISTORY[1])
    assert list(observed.day) == list(range(len(observed)))
    assert set(observed.columns) - {"day"} <= set(CENSUS_COLUMNS)


def test_the_shipped_extract_reads_without_a_bad_row():
    """fit-inputs' example extract: every row passes the checks a hospital's own extract must pass (dates as a
    hospital writes them, two years of spells, all three age bands)."""
    scenario = load_scenario(BASELINE)
    extract = read_extract(EXTRACT, scenario.age_bands, scenario.run.start_year)
    assert not extract.dropped and extract.rows_read == len(extract.spells) > 10_000
    assert extract.origin is not None and 700 <= extract.end - extract.start <= 740
    assert set(extract.spells.band) == {0, 1, 2}
