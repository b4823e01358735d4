"""Input modelling: from a hospital's spell extract to a fitted scenario and calibration targets.

extract (read, map, check) -> arrivals, outcomes, stays (estimates with
intervals) -> targets (the last year's indicators) -> write (scenario.yaml,
targets.yaml, inputs.csv, inputs.png, data_quality.csv).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from threadpoolctl import threadpool_limits

from sim.calibrate.targets import Target
from sim.inputs.arrivals import fit_arrivals
from sim.inputs.estimates import Estimate, Fitted, Setting
from sim.inputs.extract import Extract, read_extract
from sim.inputs.outcomes import fit_readmissions, fit_shares
from sim.inputs.stays import fit_stays
from sim.inputs.targets import fit_targets
from sim.scenario.schema import Scenario

# what a spell extract cannot tell: it stays as in the template
NOT_IN_AN_EXTRACT = {
    "acute": "beds available, escalation, what happens when full: capacities",
    "discharge": "assessment times, discharge days and hours: they shape the delays, which are calibration targets",
    "services": "community services: capacities, durations, outcomes, clients at the start",
    "after_discharge": "deaths at home after a discharge",
    "costs": "unit costs",
    "run": "warm-up, horizon, replications, seed; start_year is set to the year of the targets' period",
    "demand.admission_avoidance_share": "admissions avoided today are already missing from the extract",
}

__all__ = ["Estimate", "Extract", "Fitted", "InputsFit", "Setting", "fit_inputs", "read_extract"]


@dataclass
class InputsFit:
    extract: Extract
    template: Scenario
    template_path: Path
    fitted: Fitted
    targets: list[Target]


def fit_inputs(extract: Extract, template: Scenario, template_path: Path, censoring: bool = True) -> InputsFit:
    """Every estimate the extract allows, the values to write, and the calibration targets.

    The fits do many small linear-algebra steps (a regression's, a Hessian's),
    on which BLAS threads cost more than they give, several times more on a
    busy machine: they run on one thread.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_inputs(extract, template, template_path, censoring)


def _fit_inputs(extract: Extract, template: Scenario, template_path: Path, censoring: bool) -> InputsFit:
    fitted = Fitted()
    shares_fit, shares, mortality = fit_shares(extract)
    fitted.add(shares_fit)
    fitted.add(fit_arrivals(extract, template))
    fitted.add(fit_stays(extract, template, shares, mortality, censoring))
    home_care_share = next(
        (s.value for s in fitted.settings if s.key == "pathways.p1_home_care_share"), template.pathways.p1_home_care_share
    )
    fitted.add(fit_readmissions(extract, template, home_care_share))
    fitted.settings.insert(0, Setting(
        "run.start_year", extract.start_year,
        f"the year of the targets' period, {extract.period_label()}: base rates are those of its 1 January",
    ))
    fitted.notes += [f"{key}: as in the template; the extract cannot tell {what}" for key, what in NOT_IN_AN_EXTRACT.items()]
    source = f"fit-inputs from {extract.path.name}"
    targets, _ = fit_targets(extract, source)
    return InputsFit(extract, template, template_path, fitted, targets)
