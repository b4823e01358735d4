"""Clinical stays (admission to medically optimised) and stays before an in-hospital death, by maximum likelihood.

The model draws a survivor's clinical stay as (age band factor) x (a draw from
the law of their pathway), and the stay of someone who dies from one law for
everyone. One likelihood holds all of it (scipy.optimize on the log scale):

- a live discharge gives its stay exactly, on its pathway;
- a death in hospital gives its stay before death exactly;
- a spell still open when the extract ends is right-censored there. Its
  pathway is not known yet (it is decided at the end of the clinical stay), so
  it counts as a mixture: it is on pathway k with that band's pathway share,
  or will die in hospital with the band's mortality; an open spell already
  medically optimised has an exact stay, on a pathway still unknown.

Each pathway's family (lognormal, gamma, Weibull, exponential) is chosen by
AIC on its own stays; the intervals come from the observed information
(statsmodels' numerical Hessian, forward differences: within 1 % of central ones here) through draws of the parameters. A
Kolmogorov-Smirnov test of each chosen law on the stays of spells with full
follow-up says whether it fits; when none does (p < 0.01), the empirical
table of those stays is written instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats
from statsmodels.tools.numdiff import approx_hess2

from sim.inputs.estimates import Estimate, Fitted, Setting, count, draws_of, percentiles, significant
from sim.inputs.extract import Extract
from sim.inputs.laws import FAMILIES, Family, Stays, as_scenario, from_scenario, log_probability
from sim.scenario.schema import PATHWAYS, Scenario

FOLLOW_UP_DAYS = 90  # spells admitted this long before the extract ends have (almost) all ended
MIN_STAYS = 20  # fewer stays than this on a pathway: its law stays as in the template
GOF_LEVEL = 0.01  # KS p-value under which no family is said to fit
EMPIRICAL_POINTS = 100  # quantiles in an empirical table
DEATH = len(PATHWAYS)  # component index of the stay before death (pathways are 0..3)
UNKNOWN_ALIVE, UNKNOWN = DEATH + 1, DEATH + 2  # open spells: optimised on a pathway not yet known; not yet optimised
ONE_MINUTE = 1 / 1440
FACTOR_MOVE = 0.05  # families are chosen again when a fitted age band factor is more than ~5 % off the template's


@dataclass
class Observations:
    """One row per stay: its group (pathway 0-3, DEATH, or an open spell of unknown pathway), band and bounds."""

    group: np.ndarray
    band: np.ndarray
    low: np.ndarray  # days; an exact stay has low == high, a censored one high = inf
    high: np.ndarray
    complete: np.ndarray  # admitted FOLLOW_UP_DAYS or more before the end: for the fit test and empirical tables
    left_out: int = 0  # live discharges without a medically optimised time
    parts: dict[int, Part] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for group in np.unique(self.group):
            on = self.group == group
            self.parts[int(group)] = Part(self.band[on], Stays(self.low[on], self.high[on]))


@dataclass
class Part:
    """The stays of one group, prepared once (a fit evaluates its likelihood thousands of times)."""

    band: np.ndarray
    stays: Stays


@dataclass
class Layout:
    """Where each component's parameters and the free band factors sit in the parameter vector."""

    families: dict[int, Family]  # fitted components
    fixed: dict[int, tuple[Family, np.ndarray]]  # components held at the template's law
    free_bands: list[int]
    base_log_factor: np.ndarray  # per band: the template's log factor (the reference band's stays as it is)
    slices: dict[int, slice] = field(default_factory=dict)

    def __post_init__(self) -> None:
        at = 0
        for component, family in sorted(self.families.items()):
            self.slices[component] = slice(at, at + family.parameters)
            at += family.parameters
        self.band_slice = slice(at, at + len(self.free_bands))
        self.size = at + len(self.free_bands)

    def law(self, component: int, theta: np.ndarray) -> tuple[Family, np.ndarray]:
        if component in self.families:
            return self.families[component], theta[self.slices[component]]
        return self.fixed[component]

    def log_factors(self, theta: np.ndarray) -> np.ndarray:
        log_factor = self.base_log_factor.copy()
        log_factor[self.free_bands] = theta[self.band_slice]
        return log_factor


def observations(extract: Extract, censoring: bool = True) -> Observations:
    """The stays the extract tells, exact, to the day, or censored at its end."""
    s = extract.spells[extract.spells["admitted"].notna()]
    admitted, optimised, left = (s[c].to_numpy(dtype=float) for c in ("admitted", "optimised", "left"))
    died, pathway, band = s["died"].to_numpy(dtype=bool), s["pathway"].to_numpy(dtype=int), s["band"].to_numpy(dtype=int)
    ended = ~np.isnan(left)
    has_optimised = "medically_optimised" in extract.has
    censored = ~ended & np.isnan(optimised)
    stay = np.where(died, left - admitted, optimised - admitted)
    group = np.where(died, DEATH, pathway)
    unknown = np.where(censored, UNKNOWN, UNKNOWN_ALIVE)
    group = np.where(~ended & (pathway < 0), unknown, group)
    known = ~np.isnan(stay) | censored
    if not has_optimised:  # only the stays before death can be told
        known = died & ended
    if not censoring:
        known &= ended
    left_out = int((ended & ~died & np.isnan(optimised)).sum()) if has_optimised else 0
    low = np.where(censored, extract.end - admitted, stay)
    high = np.where(censored, np.inf, stay)
    if extract.day_resolution:  # whole days: the stay lies within half a day of the difference of the dates
        low = np.where(censored, low, np.maximum(stay - 0.5, 0.0))
        high = np.where(censored, high, stay + 0.5)
    zero = high <= 0  # the same minute: not an exact zero, which no family allows
    low, high = np.where(zero, 0.0, low), np.where(zero, ONE_MINUTE, high)
    complete = admitted <= extract.end - FOLLOW_UP_DAYS
    return Observations(group[known], band[known], low[known], high[known], complete[known], left_out)


def mixture_weights(obs: Observations, shares: np.ndarray, mortality: np.ndarray) -> dict[int, np.ndarray]:
    """For each group of open spells of unknown pathway: log P(component) per spell, one row per component.

    Already medically optimised, a spell is on pathway k with its band's share; not yet, it may also be
    one that will die in hospital (the band's mortality), whose stay is drawn from the law of the stay
    before death.
    """
    weights = {}
    with np.errstate(divide="ignore"):
        for group, with_death in ((UNKNOWN_ALIVE, False), (UNKNOWN, True)):
            if group in obs.parts:
                band = obs.parts[group].band
                alive = 1.0 - mortality[band] if with_death else 1.0
                rows = [np.log(shares[band, k] * alive) for k in range(DEATH)]
                weights[group] = np.vstack(rows + ([np.log(mortality[band])] if with_death else []))
    return weights


def negative_log_likelihood(theta: np.ndarray, layout: Layout, obs: Observations, weights: dict[int, np.ndarray]) -> float:
    """Minus the log-likelihood of every stay; open spells of unknown pathway as mixtures."""
    log_factor = layout.log_factors(theta)
    total = 0.0
    for component in range(DEATH + 1):
        if component in obs.parts:
            total += component_log_likelihood(layout, theta, component, obs.parts[component], log_factor).sum()
    for group, log_weight in weights.items():
        part = obs.parts[group]
        terms = [component_log_likelihood(layout, theta, k, part, log_factor) for k in range(len(log_weight))]
        total += np.logaddexp.reduce(log_weight + np.vstack(terms), axis=0).sum()
    return -total


def component_log_likelihood(layout: Layout, theta: np.ndarray, component: int, part: Part, log_factor: np.ndarray) -> np.ndarray:
    """Log-likelihood of some stays under one component's law (a pathway's, scaled by the band factor)."""
    family, params = layout.law(component, theta)
    if component == DEATH:  # the model does not scale the stay before death by age band
        return log_probability(family, params, part.stays)
    return log_probability(family, params, part.stays, log_factor[part.band])


def minimise(function, start: np.ndarray) -> np.ndarray:
    result = optimize.minimize(function, start, method="L-BFGS-B", options={"maxiter": 2000})  # no bounds: log scale
    if not np.all(np.isfinite(result.x)):
        raise RuntimeError(f"the stay fit did not converge: {result.message}")
    return result.x


def choose_family(
    component: int, obs: Observations, log_factor: np.ndarray
) -> tuple[Family, np.ndarray, dict[str, float]]:
    """The family with the lowest AIC on this component's own stays (band factors held); AIC of each family."""
    part = obs.parts[component]
    stays = np.where(part.stays.censored, part.stays.low, (part.stays.low + part.stays.high) / 2)
    sample = np.maximum(stays / (1.0 if component == DEATH else np.exp(log_factor[part.band])), ONE_MINUTE)
    aic, fits = {}, {}
    for family in FAMILIES.values():
        layout = Layout({component: family}, {}, [], log_factor)
        start = family.start(sample)

        def own(theta: np.ndarray, layout: Layout = layout) -> float:
            return -component_log_likelihood(layout, theta, component, part, log_factor).sum()

        fits[family.name] = minimise(own, start)
        aic[family.name] = 2 * family.parameters + 2 * own(fits[family.name])
    best = min(aic, key=aic.get)
    return FAMILIES[best], fits[best], aic


@dataclass
class StayFit:
    layout: Layout
    theta: np.ndarray
    covariance: np.ndarray
    aic: dict[int, dict[str, float]]
    obs: Observations


def fit_laws(
    obs: Observations, template: Scenario, bands: tuple[str, ...], shares: np.ndarray, mortality: np.ndarray
) -> StayFit:
    """Choose each component's family, then fit every law and the band factors together."""
    template_laws = {k: from_scenario(template.clinical_stay.by_pathway.of(p)) for k, p in enumerate(PATHWAYS)}
    template_laws[DEATH] = from_scenario(template.in_hospital_death.stay_before_death)
    weights = mixture_weights(obs, shares, mortality)
    exact_counts = {c: int(((obs.group == c) & np.isfinite(obs.high)).sum()) for c in range(DEATH + 1)}
    fitted = [c for c in range(DEATH + 1) if exact_counts[c] >= MIN_STAYS]
    factors = template.clinical_stay.age_band_factor
    base_log_factor = np.log(np.array([factors.get(b, 1.0) for b in bands]))
    reference = next((i for i, b in enumerate(bands) if factors.get(b, 1.0) == 1.0), 0)
    pathway_stays = np.isin(obs.group, [c for c in fitted if c != DEATH]) & np.isfinite(obs.high)
    free_bands = [b for b in range(len(bands)) if b != reference and (pathway_stays & (obs.band == b)).sum() >= MIN_STAYS]
    log_factor = base_log_factor.copy()
    chosen: dict[int, Family] = {}
    for _ in range(2):  # choose with the template's factors, fit, and choose again if the fitted ones differ
        choices = {c: choose_family(c, obs, log_factor) for c in fitted}
        families = {c: family for c, (family, _, _) in choices.items()}
        if families == chosen:
            break
        chosen = families
        layout = Layout(families, {c: template_laws[c] for c in range(DEATH + 1) if c not in families}, free_bands, base_log_factor)
        start = np.concatenate([choices[c][1] for c in sorted(families)] + [log_factor[free_bands]])

        def nll(theta: np.ndarray, layout: Layout = layout) -> float:
            return negative_log_likelihood(theta, layout, obs, weights)

        theta = minimise(nll, start)
        moved = np.max(np.abs(layout.log_factors(theta) - log_factor), initial=0.0)
        log_factor = layout.log_factors(theta)
        if moved < FACTOR_MOVE:
            break
    hessian = approx_hess2(theta, nll)
    covariance = np.linalg.pinv(hessian)
    return StayFit(layout, theta, covariance, {c: choices[c][2] for c in fitted}, obs)


def fit_stays(
    extract: Extract, template: Scenario, shares: np.ndarray, mortality: np.ndarray, censoring: bool = True
) -> Fitted:
    """Clinical stay per pathway, age band factors and the stay before death: scenario values and estimates."""
    obs = observations(extract, censoring)
    fitted = Fitted()
    if not any(((obs.group == c) & np.isfinite(obs.high)).sum() >= MIN_STAYS for c in range(DEATH + 1)):
        fitted.notes.append(f"clinical_stay, in_hospital_death.stay_before_death: as in the template (fewer than {MIN_STAYS} stays of each)")
        return fitted
    fit = fit_laws(obs, template, extract.bands, shares, mortality)
    draws = draws_of(fit.theta, fit.covariance, seed_offset=1)
    period = f"spells admitted {extract.label(extract.start)} to {extract.label(extract.end - 1)}" + (
        ", censored at the end if still open" if censoring else ", open ones left out (censoring ignored)"
    )
    open_count = int(np.isin(obs.group, [UNKNOWN, UNKNOWN_ALIVE]).sum() + ((obs.group < UNKNOWN_ALIVE) & np.isinf(obs.high)).sum())
    for component in range(DEATH + 1):
        key = "in_hospital_death.stay_before_death" if component == DEATH else f"clinical_stay.by_pathway.{PATHWAYS[component]}"
        what = "stays before death" if component == DEATH else f"clinical stays on {PATHWAYS[component]}"
        n = int(((obs.group == component) & np.isfinite(obs.high)).sum())
        if component not in fit.layout.families:
            if "medically_optimised" in extract.has or component == DEATH:
                fitted.notes.append(f"{key}: as in the template (only {n} {what}; at least {MIN_STAYS} needed)")
            continue
        fitted.add(describe_law(extract, fit, draws, component, key, what, n, period, open_count))
    if "medically_optimised" not in extract.has:
        fitted.notes.append(
            "clinical_stay: as in the template (the extract has no medically optimised times, so the clinical stay and the "
            "discharge delay cannot be told apart; length of stay by pathway is a calibration target instead)"
        )
    elif obs.left_out:
        fitted.notes.append(f"clinical_stay: {obs.left_out} live discharges without a medically optimised time left out of the fit")
    fitted.add(describe_factors(extract, template, fit, draws, period))
    return fitted


def describe_law(
    extract: Extract, fit: StayFit, draws: np.ndarray, component: int, key: str, what: str, n: int, period: str, open_count: int
) -> Fitted:
    family, params = fit.layout.law(component, fit.theta)
    drawn_mean, drawn_sd = family.mean_and_sd(draws[:, fit.layout.slices[component]])
    mean, sd = (float(v) for v in family.mean_and_sd(params))
    aic = fit.aic[component]
    others = ", ".join(f"{name} +{aic[name] - aic[family.name]:.1f}" for name in sorted(aic, key=aic.get) if name != family.name)
    method = f"maximum likelihood with right-censoring; {family.name} by AIC (others: {others})"
    sample = normalised_sample(fit, component)
    if extract.day_resolution or len(sample) < MIN_STAYS:
        gof, fits = "not tested (stays known to the day only)" if extract.day_resolution else "not tested (too few complete stays)", True
    else:
        test = stats.kstest(sample, family.scipy(params).cdf)
        fits = test.pvalue >= GOF_LEVEL
        gof = f"KS D = {test.statistic:.3f}, p = {test.pvalue:.3g} on {len(sample):,} stays of spells admitted {FOLLOW_UP_DAYS}+ days before the end"
    fitted = Fitted()
    scale_note = "" if component == DEATH else " (the reference age band; other bands scaled by age_band_factor)"
    rows = [("mean", mean, percentiles(drawn_mean)), ("sd", sd, percentiles(drawn_sd))]
    for name, value, (low, high) in rows[: 1 if family.name == "exponential" else 2]:
        fitted.estimates.append(Estimate(f"{key}.{name}", value, low, high, "days", n, what, period, method, gof, written=fits))
    comment = (f"{count(n, what)}{scale_note}; {period}, the {open_count:,} spells open at the end shared among the pathways "
               f"and death by their bands' shares; {method}; "
               f"mean {rows[0][2][0]:.3g}-{rows[0][2][1]:.3g}" + ("" if family.name == "exponential" else f", sd {rows[1][2][0]:.3g}-{rows[1][2][1]:.3g}")
               + f" (95 % CI); {gof}")
    if fits:
        fitted.settings.append(Setting(key, as_scenario(family, params), comment))
    else:
        table = empirical_table(sample)
        t_low, t_high = stats.t.interval(0.95, len(sample) - 1, loc=np.mean(sample), scale=stats.sem(sample))
        fitted.estimates.append(Estimate(
            f"{key}.mean", float(np.mean(sample)), float(t_low), float(t_high), "days", len(sample), what, period,
            f"empirical table of {EMPIRICAL_POINTS} quantiles (no family fits: KS p < {GOF_LEVEL}); t-interval of the mean", gof,
        ))
        fitted.settings.append(Setting(key, table, f"empirical: no family fits ({gof}); best was {family.name}; {count(len(sample), what)}; {period}"))
    fitted.figure[f"stay:{component}"] = {"sample": sample, "family": family, "theta": params, "fits": fits}
    return fitted


def normalised_sample(fit: StayFit, component: int) -> np.ndarray:
    """Exact stays of spells with full follow-up, divided by their band's fitted factor (pathways only)."""
    obs = fit.obs
    on = (obs.group == component) & obs.complete & np.isfinite(obs.high)
    stays = (obs.low[on] + obs.high[on]) / 2
    if component == DEATH:
        return stays
    return stays / np.exp(fit.layout.log_factors(fit.theta)[obs.band[on]])


def empirical_table(sample: np.ndarray) -> dict:
    levels = (np.arange(EMPIRICAL_POINTS) + 0.5) / EMPIRICAL_POINTS
    values = [significant(float(v)) for v in np.quantile(sample, levels)]
    return {"distribution": "empirical", "values": values, "probabilities": [1 / EMPIRICAL_POINTS] * EMPIRICAL_POINTS}


def describe_factors(extract: Extract, template: Scenario, fit: StayFit, draws: np.ndarray, period: str) -> Fitted:
    fitted = Fitted()
    layout = fit.layout
    if not layout.free_bands or not any(c < DEATH for c in layout.families):
        fitted.notes.append("clinical_stay.age_band_factor: as in the template (too few clinical stays by band)")
        return fitted
    factors = np.exp(layout.log_factors(fit.theta))
    drawn = np.exp(draws[:, layout.band_slice])
    obs = fit.obs
    stays = (obs.group < DEATH) & np.isfinite(obs.high)
    values, comments = {}, []
    for b, band in enumerate(extract.bands):
        values[band] = significant(float(factors[b]))
        if b in layout.free_bands:
            low, high = percentiles(drawn[:, layout.free_bands.index(b)])
            n = int((stays & (obs.band == b)).sum())
            fitted.estimates.append(Estimate(
                f"clinical_stay.age_band_factor.{band}", float(factors[b]), low, high, "multiplier", n, "clinical stays",
                period, "maximum likelihood, jointly with the pathways' laws (a scale on every pathway's stay)",
            ))
            comments.append(f"{band}: 95 % CI {low:.3f}-{high:.3f}; {count(n, 'clinical stays')}")
        else:
            comments.append(f"{band}: the reference band, held at the template's {factors[b]:g}")
    fitted.settings.append(Setting("clinical_stay.age_band_factor", values, f"{period}; maximum likelihood with the pathways' laws", comments))
    return fitted
