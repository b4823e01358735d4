"""fit-inputs on the model's own spells: known inputs in, the same inputs out, inside their intervals.

The source is a small hospital (tests/inputs_helpers.py: about 1,200 spells a
year, 120-day warm-up, one year) whose scenario is also the template, so
inputs.csv's `template` column holds the true value of every estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from inputs_helpers import spells_of, write_small, write_spells
from sim.calibrate.targets import load_targets, target_table
from sim.cli import main
from sim.inputs import fit_inputs, read_extract
from sim.inputs.outcomes import fit_shares
from sim.inputs.stays import Observations, choose_family, fit_stays
from sim.inputs.write import write_files
from sim.results import replications_table, summary_table
from sim.runner import run_replications
from sim.scenario import load_scenario

# Six independent sources. Each gives about 54 estimates with a true value (rates, weekday and month
# factors, pathway shares, mortality, clinical and death stays, band factors, readmission; growth needs
# two years of counted days, the sources have 485): about 320 checks.
SEEDS = [1, 2, 3, 4, 5, 6]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """For each seed: the fit-inputs output folder of one replication of the small hospital.

    The first seed goes through the command line; the others through the same functions, without
    drawing inputs.png (the slowest part of a small fit).
    """
    folder = tmp_path_factory.mktemp("roundtrip")
    template_path = write_small(folder)
    template = load_scenario(template_path)
    outputs = {}
    for seed in SEEDS:
        extract = write_spells(folder, template_path, seed)
        out = folder / f"fitted-{seed}"
        if seed == SEEDS[0]:
            assert main(["fit-inputs", str(extract), "--template", str(template_path), "--out", str(out), "--quiet"]) == 0
        else:
            fit = fit_inputs(read_extract(extract, template.age_bands, template.run.start_year), template, template_path)
            write_files(fit, out, "test", drop_bad_rows=False)
        outputs[seed] = out
    return template_path, outputs


@pytest.mark.slow
def test_fitted_inputs_cover_the_true_ones_at_their_stated_rate(fitted):
    _, outputs = fitted
    table = pd.concat([pd.read_csv(out / "inputs.csv").assign(seed=seed) for seed, out in outputs.items()])
    checked = table[table.template.notna()]
    covered = (checked.ci_low <= checked.template) & (checked.template <= checked.ci_high)
    # 95 % intervals: 320 checks miss about 16 (binomial sd 3.9, i.e. 0.012 of coverage). Estimates of
    # one source are not independent (shares sum to 1, factors average 1), which about doubles the
    # variance: sd ~0.017. Three of those either side: 0.90-1.0; more than 0.995 (at most one miss)
    # would mean intervals far too wide.
    assert len(checked) >= 50 * len(SEEDS)  # 54 a source, one fewer when a stay is fitted as exponential (no sd)
    assert 0.90 <= covered.mean() <= 0.995, checked[~covered][["seed", "parameter", "estimate", "ci_low", "ci_high", "template"]]
    groups = checked.parameter.str.split(".").str[0]
    assert set(groups) == {"demand", "pathways", "in_hospital_death", "clinical_stay", "readmission"}


@pytest.mark.slow
def test_the_fitted_scenario_reproduces_the_source_run_within_the_targets_intervals(fitted):
    template, outputs = fitted
    z = []
    for seed in SEEDS[:3]:
        scenario = load_scenario(outputs[seed] / "scenario.yaml", ["run.replications=6"])
        results = run_replications(scenario, workers=1, progress=False)
        replications = replications_table((scenario.name, r.replication, r.indicators) for r in results)
        targets = [t for t in load_targets(outputs[seed] / "targets.yaml")
                   if t.indicator in ("mean_los_days", "bed_days_per_year", "readmission_30d_rate")]
        assert len(targets) == 3
        z += list(target_table(targets, summary_table(replications)).z)
    # nine z-scores of a model against its own data: each within 1.96 with probability 0.95, so at
    # least eight of nine (P(two or more out) = 0.07 at 0.95; less, as the fit and the targets share data)
    assert sum(abs(v) <= 1.96 for v in z) >= 8, z


def test_the_fitted_scenario_extends_the_template_and_says_where_each_value_came_from(fitted):
    template, outputs = fitted
    out = outputs[SEEDS[0]]
    text = (out / "scenario.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert (out / data["extends"]).resolve() == template.resolve()
    scenario = load_scenario(out / "scenario.yaml")
    assert scenario.acute == load_scenario(template).acute  # capacities: as in the template
    lines = text.splitlines()
    body = lines[lines.index(next(line for line in lines if line.startswith("extends:"))):]
    for index, line in enumerate(body):  # every value set below a section has a comment above or beside it
        if line.startswith("  ") and not line.strip().startswith("#") and ":" in line and not line.rstrip().endswith(":"):
            assert "#" in line or body[index - 1].strip().startswith("#"), line
    assert "n = " in text and "95 % CI" in text and "Poisson regression" in text and "AIC" in text
    inputs = pd.read_csv(out / "inputs.csv")
    as_template = inputs[inputs.written == "template"].parameter
    assert {"acute", "services", "discharge", "costs"} <= set(as_template)
    for name in ("targets.yaml", "inputs.png"):
        assert (out / name).stat().st_size > 0
    assert len(load_targets(out / "targets.yaml")) >= 20


# --- censoring ------------------------------------------------------------------------------------

CUT = 182.0  # the extract cut mid-year


def long_stays(folder):
    """One pathway, long stays (lognormal, mean and sd 30 days), 6 admissions a day: many spells open at a cut."""
    every = ("65-74", "75-84", "85+")
    return write_small(
        folder,
        run={"warmup_days": 0, "horizon_days": 365},
        demand={"arrivals_per_day": dict.fromkeys(every, 2.0)},
        acute={"beds": 400},
        pathways={"probabilities": {b: {"p0": 1.0, "p1": 0.0, "p2": 0.0, "p3": 0.0} for b in every}},
        clinical_stay={"by_pathway": {p: {"distribution": "lognormal", "mean": 30.0, "sd": 30.0} for p in ("p0", "p1", "p2", "p3")}},
    )


def cut(spells: pd.DataFrame, at: float) -> pd.DataFrame:
    """The extract as it would have been on day `at`: later admissions absent, later events not yet known."""
    s = spells[spells.admitted < at].copy()
    s.loc[s.medically_optimised >= at, "medically_optimised"] = np.nan
    late = s.left_bed >= at
    s.loc[late, ["left_bed", "los_days", "delay_days"]] = np.nan
    s.loc[late, ["pathway", "service"]] = ""
    s.loc[late, "outcome"] = "in_hospital"
    return s


def p0_stay(path, scenario, censoring=True) -> dict[str, tuple[float, float, float]]:
    extract = read_extract(path, scenario.age_bands, scenario.run.start_year)
    _, shares, mortality = fit_shares(extract)
    fit = fit_stays(extract, scenario, shares, mortality, censoring)
    return {e.parameter.rsplit(".", 1)[1]: (e.value, e.low, e.high) for e in fit.estimates if ".p0." in e.parameter}


def inside(value: float, estimate: tuple[float, float, float]) -> bool:
    return estimate[1] <= value <= estimate[2]


@pytest.mark.slow
def test_an_extract_cut_mid_year_gives_the_full_years_stay_fit_and_ignoring_censoring_does_not(tmp_path):
    source = long_stays(tmp_path)
    for seed in (1, 2, 3):
        scenario = load_scenario(source, [f"run.seed={seed}"])
        spells = spells_of(scenario)
        spells.to_csv(tmp_path / "full.csv", index=False)
        cut(spells, CUT).to_csv(tmp_path / "cut.csv", index=False)
        full = p0_stay(tmp_path / "full.csv", scenario)
        censored = p0_stay(tmp_path / "cut.csv", scenario)
        ignored = p0_stay(tmp_path / "cut.csv", scenario, censoring=False)
        open_at_cut = (spells.admitted < CUT) & ~(spells.left_bed < CUT)
        assert open_at_cut.sum() > 100  # the cut leaves many spells open: the test has something to show
        for moment in ("mean", "sd"):
            assert inside(full[moment][0], censored[moment]), (seed, moment, full, censored)
            assert inside(30.0, censored[moment]), (seed, moment, censored)
            # negative control: the same check on the fit that drops the open spells fails
            assert not inside(full[moment][0], ignored[moment]), (seed, moment, full, ignored)
            assert ignored[moment][0] < censored[moment][0]


# --- model choice ---------------------------------------------------------------------------------


def chosen_family(sample: np.ndarray) -> str:
    n = len(sample)
    obs = Observations(np.zeros(n, dtype=int), np.zeros(n, dtype=int), sample, sample.copy(), np.ones(n, dtype=bool))
    family, _, _ = choose_family(0, obs, np.zeros(1))
    return family.name


@pytest.mark.parametrize("family, draw", [
    ("gamma", lambda rng: rng.gamma(2.5, 4.0, size=300)),
    ("lognormal", lambda rng: rng.lognormal(2.0, 0.6, size=300)),  # control: the choice is not always gamma
    ("weibull", lambda rng: 10.0 * rng.weibull(1.6, size=300)),
])
def test_data_drawn_from_a_family_are_fitted_as_that_family_more_often_than_not(family, draw):
    rng = np.random.default_rng(2024)
    choices = [chosen_family(draw(rng)) for _ in range(9)]
    assert choices.count(family) > len(choices) / 2, choices


def test_an_exponential_sample_is_not_fitted_by_a_two_parameter_family_for_free():
    """AIC charges the second parameter: exponential data are mostly fitted as exponential (or as the families
    that contain it, Weibull and gamma with shape near 1), never as a poor lognormal."""
    rng = np.random.default_rng(7)
    choices = [chosen_family(rng.exponential(5.0, size=300)) for _ in range(9)]
    assert choices.count("exponential") > len(choices) / 2, choices
    assert choices.count("lognormal") == 0
