"""The search: move the free parameters until the simulated indicators match the targets.

Each evaluation simulates the same replications with the same seed (common
random numbers), so two nearby parameter points differ by the parameters'
effect, not by noise, and the objective is smooth enough for a local
optimiser. The residuals are the targets' z-scores (simulated mean minus
target, over the combined sd of the target and the simulated mean), each times
the square root of its weight; their sum of squares is minimised by
scipy.optimize.least_squares (trust region reflective, which keeps to the
bounds). Its Jacobian is ours: forward differences with a step of a few per
cent of each range (a step of 1e-8 would see only the noise of a discrete
simulation), evaluated in parallel. The same Jacobian at the optimum gives
each fitted value an approximate standard error, (J'J)^-1.

Parameters are searched on [0, 1] (their range); evaluated points are cached
on disk, so a rerun with the same settings replays the search from the cache.
"""

from __future__ import annotations

import hashlib
import math
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from tqdm import tqdm

from sim.calibrate.settings import Calibration
from sim.calibrate.targets import target_table
from sim.errors import InputError
from sim.executors import executor
from sim.results import replications_table, summary_table
from sim.runner import run_missing_tasks
from sim.scenario import scenario_hash
from sim.store import TaskStore


@dataclass(frozen=True)
class Evaluation:
    """One simulated parameter point."""

    number: int  # in order of first evaluation
    values: dict[str, float]  # parameter values (natural units)
    fit: pd.DataFrame  # target_table of this point
    residuals: np.ndarray  # sqrt(weight) * z, one per target

    @property
    def objective(self) -> float:
        return float(np.sum(self.residuals**2))


UNDEFINED_Z = 100.0  # a target that becomes undefined during the search counts as very far off


class BudgetSpent(Exception):
    """The search asked for more distinct points than the budget allows."""


class Evaluator:
    """Simulates parameter points (each its replications, in parallel), once each: memory and disk cache."""

    def __init__(self, calibration: Calibration, store: TaskStore, pool: Executor, bar: tqdm) -> None:
        self.calibration = calibration
        self.store = store
        self.pool = pool
        self.bar = bar
        # the search leaves room for the uncertainty estimate at its end (a point per parameter)
        self.budget = max(calibration.settings.optimiser.max_evaluations - len(calibration.parameters), 1)
        self.evaluations: dict[tuple, Evaluation] = {}
        self.best: Evaluation | None = None
        self.closed = False  # once the budget is spent, nothing new is simulated

    def natural(self, x: np.ndarray) -> dict[str, float]:
        """From the unit cube to parameter values (whole numbers where a parameter says so)."""
        values = {}
        for parameter, u in zip(self.calibration.parameters, np.clip(x, 0.0, 1.0), strict=True):
            value = parameter.low + float(u) * (parameter.high - parameter.low)
            # 12 significant digits: a point and its round trip through the unit cube are one cache entry
            values[parameter.name] = float(round(value)) if parameter.integer else float(f"{value:.12g}")
        return values

    def unit(self, values: dict[str, float]) -> np.ndarray:
        return unit_point(self.calibration, values)

    def at(self, points: list[np.ndarray]) -> list[Evaluation]:
        """Evaluate the points (new ones together, in parallel); BudgetSpent if the new ones do not fit the budget."""
        keyed = [(tuple(values.values()), values) for values in map(self.natural, points)]
        new = {key: values for key, values in keyed if key not in self.evaluations}
        if new and (self.closed or len(self.evaluations) + len(new) > self.budget):
            self.closed = True
            raise BudgetSpent
        scenarios = {key: self._scenario(values) for key, values in new.items()}
        tasks = [(s, r) for s in scenarios.values() for r in range(s.run.replications)]
        run_missing_tasks(tasks, self.store, self.pool, progress=False)
        for key, values in new.items():
            scenario = scenarios[key]
            rows = ((scenario.name, r, self.store.load(scenario.name, r).indicators) for r in range(scenario.run.replications))
            fit = target_table(self.calibration.targets, summary_table(replications_table(rows)))
            undefined = fit.target[~np.isfinite(fit.z)].tolist()
            if undefined and not self.evaluations:  # at the start point: a target the scenario cannot produce
                raise InputError(
                    f"{self.calibration.path}: targets: {', '.join(undefined)} undefined in the start scenario "
                    f"(e.g. the utilisation of a service without a place limit); expected targets the scenario produces"
                )
            z = np.where(np.isfinite(fit.z.to_numpy()), fit.z.to_numpy(), UNDEFINED_Z)
            residuals = np.sqrt(self.calibration.weights) * z
            evaluation = Evaluation(len(self.evaluations), values, fit, residuals)
            self.evaluations[key] = evaluation
            if self.best is None or evaluation.objective < self.best.objective:
                self.best = evaluation
            self.bar.update()
            self.bar.set_postfix(best=f"{self.best.objective:.3g}")
        return [self.evaluations[key] for key, _ in keyed]

    def _scenario(self, values: dict[str, float]):
        """The scenario at these values, named by its content so the disk cache finds it again."""
        scenario = self.calibration.scenario_at(values)
        digest = hashlib.sha256(scenario_hash(scenario).encode()).hexdigest()[:16]
        return scenario.model_copy(update={"name": f"point-{digest}"})


def unit_point(calibration: Calibration, values: dict[str, float]) -> np.ndarray:
    """Parameter values as shares of their ranges."""
    return np.array([(values[p.name] - p.low) / (p.high - p.low) for p in calibration.parameters])


def bound_side(calibration: Calibration, values: dict[str, float]) -> np.ndarray:
    """-1 at the lower bound, +1 at the upper, 0 inside; "at" is within the optimiser's tolerance of the range
    (the trust region method stays strictly inside, so it only ever comes close)."""
    where = unit_point(calibration, values)
    near = calibration.settings.optimiser.tolerance
    return np.where(where <= near, -1, np.where(where >= 1 - near, 1, 0))


@dataclass(frozen=True)
class CalibrationResult:
    start: Evaluation
    best: Evaluation
    evaluations: list[Evaluation]
    jacobian: np.ndarray | None  # d residual / d (share of range), at the best point
    parameter_sd: dict[str, float]  # NaN where the targets do not pin a parameter down
    stopped_because: str

    @property
    def converged(self) -> bool:
        return self.stopped_because.startswith("converged")


def run_calibration(
    calibration: Calibration, out_dir: Path, workers: int = 1, scheduler: str | None = None, progress: bool = True
) -> CalibrationResult:
    """Search the parameters; then estimate their uncertainty at the best point."""
    optimiser = calibration.settings.optimiser
    store = TaskStore(out_dir, calibration.settings.name, calibration.fingerprint())
    with (
        executor(workers, scheduler) as pool,
        tqdm(total=optimiser.max_evaluations, desc=calibration.settings.name, unit="eval",
             disable=not progress, delay=1.0) as bar,
    ):
        evaluator = Evaluator(calibration, store, pool, bar)
        x0 = evaluator.unit(calibration.start_values)
        start = evaluator.at([x0])[0]
        try:
            solution = least_squares(
                lambda x: evaluator.at([x])[0].residuals,
                x0,
                jac=lambda x: jacobian(evaluator, x, optimiser.step),
                bounds=(0.0, 1.0),
                method="trf",
                x_scale=1.0,
                xtol=optimiser.tolerance,
                ftol=optimiser.tolerance,
                gtol=optimiser.tolerance,
            )
            stopped_because = f"converged ({solution.message})"
        except BudgetSpent:
            stopped_because = (f"budget of {optimiser.max_evaluations} evaluations spent "
                               f"(each step of the search needs {len(calibration.parameters) + 1})")
        best = evaluator.best
        evaluator.closed = False  # the points of the uncertainty estimate, if the whole budget still allows them
        evaluator.budget = optimiser.max_evaluations
        try:
            final = jacobian(evaluator, evaluator.unit(best.values), optimiser.step)
        except BudgetSpent:
            final = None
    sd = parameter_sd(calibration, final) if final is not None else dict.fromkeys(evaluator.natural(x0), math.nan)
    return CalibrationResult(
        start, best, sorted(evaluator.evaluations.values(), key=lambda e: e.number), final, sd, stopped_because,
    )


def jacobian(evaluator: Evaluator, x: np.ndarray, step: float) -> np.ndarray:
    """Forward differences of the residuals, one step (a share of the range) per parameter; backwards at the upper bound."""
    x = np.clip(x, 0.0, 1.0)
    steps = np.where(x + step <= 1.0, step, -step)
    moved = [x + steps[j] * np.eye(len(x))[j] for j in range(len(x))]
    here, *around = evaluator.at([x, *moved])
    columns = []
    for j, evaluation in enumerate(around):
        taken = evaluator.unit(evaluation.values)[j] - evaluator.unit(here.values)[j]  # whole numbers may round the step
        columns.append((evaluation.residuals - here.residuals) / taken if taken != 0 else np.zeros_like(here.residuals))
    return np.column_stack(columns)


def parameter_sd(calibration: Calibration, jac: np.ndarray) -> dict[str, float]:
    """Approximate standard errors of the fitted values: sqrt(diag((J'J)^-1)), in natural units."""
    information = jac.T @ jac
    names = [p.name for p in calibration.parameters]
    if np.linalg.cond(information) > 1e10:
        return dict.fromkeys(names, math.nan)
    covariance = np.linalg.inv(information)
    return {
        p.name: math.sqrt(covariance[j, j]) * (p.high - p.low) if covariance[j, j] > 0 else math.nan
        for j, p in enumerate(calibration.parameters)
    }


def unmatched_reasons(calibration: Calibration, result: CalibrationResult) -> dict[str, str]:
    """Why each target outside its 95 % interval is there: nothing moves it, a bound blocks it, or other targets pull."""
    if result.jacobian is None:  # no budget was left to see what moves each target
        return {row.target: f"search stopped: {result.stopped_because}; what would move it is not known"
                for row in result.best.fit.itertuples() if not row.within_95}
    reasons = {}
    side = bound_side(calibration, result.best.values)
    fit = result.best.fit
    names = [p.name for p in calibration.parameters]
    for i, row in fit.reset_index(drop=True).iterrows():
        if row.within_95:
            continue
        weight = calibration.weights[i]
        effect = result.jacobian[i] / math.sqrt(weight) if result.jacobian is not None and weight > 0 else np.zeros(len(names))
        movers = [j for j in range(len(names)) if abs(effect[j]) >= 0.5]  # half a z over the whole range
        if not movers:
            reasons[row.target] = "no free parameter moves it (add one that does, or check the target)"
            continue
        blocked = [names[j] for j in movers if side[j] != 0 and side[j] == -np.sign(row.z * effect[j])]
        if blocked:
            reasons[row.target] = f"the parameters that would move it are at a bound: {', '.join(blocked)}"
        elif not result.converged:  # not a trade-off the search settled: it did not finish
            reasons[row.target] = f"search stopped: {result.stopped_because}"
        else:
            reasons[row.target] = (
                f"held back by other targets through {', '.join(names[j] for j in movers)} "
                "(a trade-off: the weights decide)"
            )
    return reasons

