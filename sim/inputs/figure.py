"""inputs.png: each fitted law against the data it came from, in greys and line styles.

Top row and the first panel below: Q-Q plots of the clinical stay on each
pathway (scaled to the reference age band) and of the stay before an
in-hospital death: observed quantiles against the fitted law's, on log axes;
points on the diagonal mean the law fits, a bend in the tail means it does
not. Then first admissions a day by weekday and by month, and week by week,
observed against the Poisson regression.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sim.inputs import InputsFit  # noqa: E402
from sim.inputs.arrivals import MONTHS  # noqa: E402
from sim.inputs.stays import DEATH  # noqa: E402
from sim.scenario.schema import PATHWAYS, WEEKDAYS  # noqa: E402

QUANTILES = np.linspace(0.01, 0.99, 99)


def write_figure(fit: InputsFit, path: Path) -> None:
    figure, axes = plt.subplots(2, 4, figsize=(15, 7.5))
    figure_data = fit.fitted.figure
    for component, ax in zip(range(DEATH + 1), axes.flat, strict=False):
        title = "stay before death in hospital" if component == DEATH else f"clinical stay, pathway {PATHWAYS[component][1]}"
        qq_panel(ax, figure_data.get(f"stay:{component}"), title)
    arrivals = figure_data.get("arrivals")
    if arrivals is not None:
        profile_panel(axes[1, 1], arrivals["weekday"], WEEKDAYS, "first admissions by weekday")
        profile_panel(axes[1, 2], arrivals["month"], MONTHS, "first admissions by month")
        weekly_panel(axes[1, 3], arrivals["week"])
    figure.suptitle(f"Fitted inputs against {fit.extract.path.name}", fontsize=12)
    figure.subplots_adjust(left=0.05, right=0.99, bottom=0.08, top=0.92, wspace=0.28, hspace=0.35)  # tight_layout is slow on log axes
    figure.savefig(path, format="png", dpi=100)
    plt.close(figure)


def qq_panel(ax, data: dict | None, title: str) -> None:
    ax.set_title(title, fontsize=10)
    if data is None or not len(data["sample"]):
        ax.text(0.5, 0.5, "not fitted:\nas in the template", ha="center", va="center", transform=ax.transAxes, color="0.3")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    law = data["family"].scipy(data["theta"])
    observed = np.quantile(data["sample"], QUANTILES)
    fitted = law.ppf(QUANTILES)
    ax.loglog(fitted, observed, "o", markersize=3, color="black", markerfacecolor="none")
    low, high = min(fitted.min(), observed.min()), max(fitted.max(), observed.max())
    ax.loglog([low, high], [low, high], color="0.5", linestyle="--", linewidth=1)
    ax.minorticks_off()  # dozens of minor ticks per log axis make the figure slow to draw
    verdict = "" if data["fits"] else " (no family fits: empirical written)"
    ax.set_xlabel(f"fitted {data['family'].name} quantile (days){verdict}", fontsize=8)
    ax.set_ylabel("observed quantile (days)", fontsize=8)
    ax.text(0.03, 0.95, f"n = {len(data['sample']):,}", transform=ax.transAxes, va="top", fontsize=8)


def profile_panel(ax, frame, labels: tuple[str, ...], title: str) -> None:
    x = np.arange(len(labels))
    ax.bar(x, frame["count"].to_numpy(), color="0.8", label="observed")
    ax.plot(x, frame["expected"].to_numpy(), color="black", marker="o", markersize=3, linestyle="-", label="fitted")
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_ylabel("first admissions a day", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower left")


def weekly_panel(ax, weeks) -> None:
    ax.plot(weeks["day"], weeks["count"], color="0.6", linewidth=1, label="observed")
    ax.plot(weeks["day"], weeks["expected"], color="black", linestyle="--", linewidth=1.2, label="fitted")
    ax.set_xlabel("day of the extract (week starting)", fontsize=8)
    ax.set_ylabel("first admissions a week", fontsize=8)
    ax.set_title("first admissions week by week", fontsize=10)
    ax.legend(fontsize=7)
