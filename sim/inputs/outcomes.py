"""How spells end: pathway shares and in-hospital mortality by age band, and 30-day readmissions by pathway.

Shares and mortality count spells admitted at least FOLLOW_UP_DAYS before the
extract ends, nearly all of which have ended, so that the short stays that
end first do not weigh more than they should; intervals are Wilson's.
Readmissions are found by patient id: the same patient's next admission
request within 30 days of a live discharge, among discharges at least 30 days
before the extract ends.
"""

from __future__ import annotations

import math

import numpy as np

from sim.inputs.aftercare import PEOPLE, readmission_terms
from sim.inputs.estimates import Estimate, Fitted, Setting, count, wilson
from sim.inputs.extract import Extract
from sim.inputs.stays import FOLLOW_UP_DAYS
from sim.model.arrivals import READMISSION_WINDOW_DAYS
from sim.scenario.schema import PATHWAYS, Scenario

Z95 = 1.959963984540054


def followed_up(extract: Extract) -> np.ndarray:
    """Spells admitted FOLLOW_UP_DAYS or more before the end, that have ended."""
    s = extract.spells
    return (s["admitted"] <= extract.end - FOLLOW_UP_DAYS).to_numpy() & s["left"].notna().to_numpy()


def follow_up_period(extract: Extract) -> str:
    return f"spells admitted {extract.label(extract.start)} to {extract.label(extract.end - FOLLOW_UP_DAYS - 1)}, ended"


def fit_shares(extract: Extract) -> tuple[Fitted, np.ndarray, np.ndarray]:
    """Pathway shares and mortality per band; also as arrays (band x pathway, band) for the stay fit's mixtures."""
    s = extract.spells
    ended = followed_up(extract)
    period = follow_up_period(extract)
    fitted = Fitted()
    shares = np.zeros((len(extract.bands), len(PATHWAYS)))
    mortality = np.zeros(len(extract.bands))
    split, split_comments, deaths, death_comments = {}, [], {}, []
    for b, band in enumerate(extract.bands):
        mine = ended & (s["band"].to_numpy() == b)
        live = mine & ~s["died"].to_numpy()
        n_live = int(live.sum())
        counts = np.bincount(s["pathway"].to_numpy()[live], minlength=len(PATHWAYS))
        shares[b] = counts / n_live if n_live else np.full(len(PATHWAYS), 1 / len(PATHWAYS))
        method = "share of live discharges; Wilson 95 % interval"
        for k, pathway in enumerate(PATHWAYS):
            low, high = wilson(int(counts[k]), n_live)
            fitted.estimates.append(Estimate(
                f"pathways.probabilities.{band}.{pathway}", float(shares[b, k]), low, high, "share 0-1", n_live,
                "live discharges", period, method,
            ))
        split[band] = rounded_split(shares[b])
        split_comments.append(
            f"{band}: {count(n_live, 'live discharges')}; "
            + ", ".join(f"{p} {e.low:.3f}-{e.high:.3f}" for p, e in zip(PATHWAYS, fitted.estimates[-len(PATHWAYS):], strict=True))
        )
        n_ended, n_died = int(mine.sum()), int((mine & s["died"].to_numpy()).sum())
        mortality[b] = n_died / n_ended if n_ended else 0.0
        low, high = wilson(n_died, n_ended)
        fitted.estimates.append(Estimate(
            f"in_hospital_death.probability.{band}", float(mortality[b]), low, high, "share 0-1", n_ended, "ended spells",
            period, "deaths in hospital / ended spells; Wilson 95 % interval",
        ))
        deaths[band] = round(float(mortality[b]), 5)
        death_comments.append(f"{band}: 95 % CI {low:.4f}-{high:.4f}; {n_died:,} deaths of {count(n_ended, 'ended spells')}")
    fitted.settings.append(Setting("pathways.probabilities", split, f"{period}; share of live discharges (Wilson 95 % CIs)", split_comments))
    fitted.settings.append(Setting("in_hospital_death.probability", deaths, f"{period}; deaths / ended spells", death_comments))
    if "service" in extract.has:
        fitted.add(fit_home_care_share(extract, ended, period))
    else:
        fitted.notes.append("pathways.p1_home_care_share: as in the template (the extract has no service column)")
    return fitted, shares, mortality


def rounded_split(shares: np.ndarray) -> dict[str, float]:
    """Shares to 5 decimals that still sum to 1 (the largest takes the rounding)."""
    values = [round(float(v), 5) for v in shares]
    largest = int(np.argmax(values))
    values[largest] = round(1.0 - sum(v for i, v in enumerate(values) if i != largest), 5)
    return dict(zip(PATHWAYS, values, strict=True))


def fit_home_care_share(extract: Extract, ended: np.ndarray, period: str) -> Fitted:
    s = extract.spells
    p1 = ended & ~s["died"].to_numpy() & (s["pathway"].to_numpy() == 1)
    n, k = int(p1.sum()), int((p1 & (s["service"].to_numpy() == "home_care")).sum())
    fitted = Fitted()
    if n == 0:
        fitted.notes.append("pathways.p1_home_care_share: as in the template (no pathway 1 discharges)")
        return fitted
    low, high = wilson(k, n)
    fitted.estimates.append(Estimate(
        "pathways.p1_home_care_share", k / n, low, high, "share 0-1", n, "pathway 1 discharges", period,
        "share of pathway 1 discharges into home care rather than reablement; Wilson 95 % interval",
    ))
    fitted.settings.append(Setting("pathways.p1_home_care_share", round(k / n, 5),
                                   f"95 % CI {low:.4f}-{high:.4f}; {k:,} of {count(n, 'pathway 1 discharges')}; {period}"))
    return fitted


def fit_readmissions(extract: Extract, template: Scenario, home_care_share: float) -> Fitted:
    """30-day readmission: the observed rate per pathway, and the model's home readmission probability behind it.

    The model's probability q_k (readmission.within_30_days) is what is left
    of the observed rate once the template's services' own readmissions (A)
    are taken off and each discharge's delay (the template's
    delay_effect_per_day) is allowed for: sum(readmitted) = sum(A + B q (1 +
    e x delay)) over discharges, solved for q (the score equation of the
    Bernoulli likelihood when q enters linearly); its standard error is the
    binomial one of the count, with the Monte Carlo error of A and B added.
    """
    s = extract.spells
    live = s["left"].notna().to_numpy() & ~s["died"].to_numpy() & (s["admitted"].notna().to_numpy())
    followed = live & (s["left"].to_numpy() <= extract.end - READMISSION_WINDOW_DAYS)
    readmitted = (s["next_request"] - s["left"]).to_numpy() <= READMISSION_WINDOW_DAYS
    delay = (s["left"] - s["optimised"]).to_numpy() if "medically_optimised" in extract.has else np.zeros(len(s))
    effect = template.readmission.delay_effect_per_day
    weight = 1 + effect * np.nan_to_num(np.maximum(delay, 0.0))
    period = f"live discharges {extract.label(extract.start)} to {extract.label(extract.end - READMISSION_WINDOW_DAYS - 1)}"
    fitted = Fitted()
    values, comments = {}, []

    for k, pathway in enumerate(PATHWAYS):
        on = followed & (s["pathway"].to_numpy() == k)
        n, y = int(on.sum()), int((on & readmitted).sum())
        if n == 0:
            fitted.notes.append(f"readmission.within_30_days.{pathway}: as in the template (no {pathway} discharges followed up)")
            continue
        low, high = wilson(y, n)
        fitted.estimates.append(Estimate(
            f"observed 30-day readmission rate {pathway}", y / n, low, high, "share 0-1", n, "live discharges", period,
            "next admission request of the same patient within 30 days of discharge; Wilson 95 % interval", written=False,
        ))
        a, b, w = np.zeros(n), np.zeros(n), weight[on]
        bands = s["band"].to_numpy()[on]
        variance_a = variance_b = 0.0  # Monte Carlo variances of sum(A) and of sum(B w)
        by_band = k in (1, 2)  # reablement and intermediate care outcomes are by band; the rest are not
        groups = {band: bands == i for i, band in enumerate(extract.bands)} if by_band else {extract.bands[0]: np.ones(n, bool)}
        for band, here in groups.items():
            if here.any():
                a[here], b[here] = a_band, b_band = readmission_terms(template, k, band, home_care_share)
                variance_a += here.sum() ** 2 * a_band * (1 - a_band) / PEOPLE
                variance_b += w[here].sum() ** 2 * b_band * (1 - b_band) / PEOPLE
        denominator = float(np.sum(b * w))
        q = min(max((y - a.sum()) / denominator, 0.0), 1.0) if denominator > 0 else math.nan
        p_each = np.clip(a + b * q * w, 0.0, 1.0)
        se = math.sqrt(float(np.sum(p_each * (1 - p_each))) + variance_a + q * q * variance_b) / denominator
        method = (
            "observed rate less what the template's community services readmit (Monte Carlo), divided by the share the "
            f"home clock can act on and by 1 + {effect:g} x delay per discharge; binomial standard error"
        )
        fitted.estimates.append(Estimate(
            f"readmission.within_30_days.{pathway}", q, max(q - Z95 * se, 0.0), q + Z95 * se, "share 0-1", n,
            "live discharges", period, method,
        ))
        values[pathway] = round(q, 5)
        comments.append(
            f"{pathway}: 95 % CI {max(q - Z95 * se, 0):.4f}-{q + Z95 * se:.4f}; observed {y:,} of {count(n, 'discharges')} "
            f"readmitted within 30 days ({y / n:.3f}), of which the template's services account for {a.mean():.3f}"
        )
    if values:
        held = dict(zip(PATHWAYS, template.readmission.within_30_days.as_list(), strict=True))
        values = {p: values.get(p, held[p]) for p in PATHWAYS}
        fitted.settings.append(Setting(
            "readmission.within_30_days", values,
            f"{period}; the home readmission probability behind the observed 30-day rate (see inputs.csv)", comments,
        ))
    fitted.notes.append(
        "readmission.delay_effect_per_day, readmission.time_to_readmission: as in the template (used to read the "
        "observed rates; the extract cannot tell deconditioning from case mix)"
    )
    return fitted
