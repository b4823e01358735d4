"""Option appraisal: ranking, the options tables and sentences on a hand-made comparison; figure text sizes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from sim import backtest, sensitivity  # noqa: E402
from sim.batch.compare import comparison_table  # noqa: E402
from sim.calibrate import outputs  # noqa: E402
from sim.errors import InputError  # noqa: E402
from sim.report import appraisal, figures  # noqa: E402

REPLICATIONS = 4
# Per option, per replication: delayed bed days, mean LOS, at home at 91 days, programme (GBP a year).
# Acute bed days move with delayed bed days; admissions do not move.
OPTIONS = {
    "baseline": ([1000, 1040, 960, 1000], [8.0, 8.2, 7.8, 8.0], [0.86, 0.87, 0.85, 0.86], 0),
    "small_help": ([900, 950, 850, 900], [7.9, 8.1, 7.7, 7.9], [0.86, 0.87, 0.85, 0.86], 20_000),
    "big_help": ([600, 650, 540, 610], [7.5, 7.8, 7.3, 7.4], [0.88, 0.88, 0.87, 0.89], 300_000),
    "no_help": ([1003, 1038, 961, 998], [8.0, 8.2, 7.8, 8.0], [0.86, 0.87, 0.85, 0.86], 1_500_000),
}


def replications_table() -> pd.DataFrame:
    rows = []
    for name, (delayed, los, at_home, programme) in OPTIONS.items():
        for r in range(REPLICATIONS):
            bed_days = 60_000 + delayed[r] * 3
            values = {
                "delayed_bed_days_per_year": delayed[r], "mean_los_days": los[r], "at_home_91d_rate": at_home[r],
                "bed_days_per_year": bed_days, "admissions_per_year": 8_000.0 + r,
                "cost_acute_per_year": 400.0 * bed_days, "cost_programme_per_year": programme,
                "cost_net_per_year": 400.0 * bed_days + 5e6 + programme,
            }
            rows += [(name, r, indicator, "", value) for indicator, value in values.items()]
    return pd.DataFrame(rows, columns=["scenario", "replication", "indicator", "unit", "value"])


@pytest.fixture(scope="module")
def replications() -> pd.DataFrame:
    return replications_table()


@pytest.fixture(scope="module")
def comparison(replications) -> pd.DataFrame:
    return comparison_table(replications, bed_day_value=300.0)


def test_ranking_puts_the_biggest_cut_first_and_can_rank_the_other_way(comparison):
    assert appraisal.ranking(comparison).option.tolist() == ["big_help", "small_help", "no_help"]
    assert appraisal.ranking(comparison).distinguishable.tolist() == [True, True, False]
    # more is better at 91 days; the ties keep the table's order
    assert appraisal.ranking(comparison, "at_home_91d_rate").option.tolist()[0] == "big_help"
    # by running cost, the cheapest first
    assert appraisal.ranking(comparison, "cost_programme_per_year").option.tolist() == ["small_help", "big_help", "no_help"]
    # an undefined ratio ranks last
    assert appraisal.ranking(comparison, "cost_per_bed_day_saved").option.tolist()[-1] == "no_help"


def test_an_unknown_rank_by_is_refused_with_the_choices():
    with pytest.raises(InputError, match=r"--rank-by delayed_beds: not an indicator; expected one of .*mean_los_days"):
        appraisal.check_rank_by("delayed_beds")


def test_the_ranking_table_says_each_change_once_rounded(comparison):
    table = appraisal.ranking_table(comparison).set_index("option")
    assert list(table.index) == ["Big help", "Small help", "No help"]
    # delayed bed days: -400 of 1,000 is -40 %; its interval (half-width 4 %) rounded alike, never in e-notation
    assert table.loc["Big help", "delayed bed days"] == "-40 % (-44 % to -36 %)"
    assert "e-" not in " ".join(table.astype(str).to_numpy().ravel())
    assert table.loc["No help", "cost per bed day saved"] == "undefined"
    assert not table.loc["No help", "distinguishable_delayed bed days"]
    assert table.loc["Small help", "running cost"] == "GBP 0.020m"  # one scale for the column: it reaches GBP 1.5m
    assert table.loc["No help", "running cost"] == "GBP 1.50m"


def test_the_options_table_has_baseline_option_difference_relative_and_whether_clear(comparison):
    table = appraisal.options_table(comparison).set_index(["indicator", "option"])
    row = table.loc[("at_home_91d_rate", "big_help")]
    assert row.baseline_text == "86.0 %" and row.value_text == "88.0 %"
    assert row.diff_text.startswith("+2.0 pp (") and row.rel_text.startswith("+2.3 % (")
    assert bool(row.distinguishable)
    assert table.loc[("cost_per_bed_day_saved", "no_help"), "diff_text"] == "undefined"
    # one precision for the baseline column of an indicator, whatever the option's interval
    assert table.loc["delayed_bed_days_per_year"].baseline_text.nunique() == 1


def test_a_sentence_per_option_in_plain_words(comparison):
    sentence = appraisal.summary_sentence(comparison, "big_help")
    assert sentence.startswith("Big help cuts delayed bed days by 40 % (95 % interval 36 % to 44 %) and shortens mean ")
    # 3 x 400 acute bed days freed for GBP 300,000 a year: GBP 250 each; 1,200 x 400 - 300,000 = 180,000 net saved
    assert "freeing 1,200 acute bed days a year at GBP 250 each (" in sentence
    assert sentence.endswith("for a net saving of GBP 180,000 (95 % interval GBP 153,000 to GBP 207,000) a year.")
    nothing = appraisal.summary_sentence(comparison, "no_help")
    assert "changes delayed bed days by no amount distinguishable from none" in nothing
    assert "freeing no acute bed days that 4 replications can tell from none" in nothing
    assert "a net cost of GBP 1.5" in nothing


def test_the_headline_names_the_best_and_its_lead_over_the_next(comparison, replications):
    text = appraisal.headline(comparison, replications=replications)
    assert text.startswith("Of 3 options, Big help does most for delayed bed days: it cuts delayed bed days by 40 %")
    # paired: -300, -300, -310, -290 delayed bed days (sd 8.2, t 3.18 over sqrt 4)
    assert "Against the next best, Small help, the difference is -300 (95 % interval -313 to -287) bed days a year." in text
    assert "For mean length of stay, Big help also does most" in text
    # negative control: when nothing is clear, it says so instead of crowning a winner
    unclear = comparison[comparison.scenario == "no_help"]
    assert appraisal.headline(unclear).startswith("No option changes delayed bed days by an amount distinguishable")


def test_summary_lines_leave_out_a_packages_parts(comparison):
    parts = comparison[comparison.scenario == "small_help"].assign(scenario="big_help__only_part")
    lines = appraisal.summary_lines(pd.concat([comparison, parts]))
    assert len(lines) == 4 and not any("only part" in line for line in lines)


# --- every figure's text is legible at A4 ---------------------------------------------------------


def smallest_text_at_a4(figure: Figure) -> float:
    """The smallest font size (pt) of any visible text once the figure is scaled to A4 text width."""
    scale = min(1.0, figures.PAGE_WIDTH / figure.get_figwidth())
    sizes = [t.get_fontsize() * scale for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert sizes, "a figure with no text would pass vacuously"
    return min(sizes)


@pytest.fixture
def saved_figures(monkeypatch) -> list[Figure]:
    """Every figure saved while the test runs (the writers of sensitivity, calibration and back-test save theirs)."""
    saved: list[Figure] = []
    original = Figure.savefig

    def keep(self, *args, **kwargs):
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    return saved


def every_figure(comparison: pd.DataFrame, folder) -> list[Figure]:
    days = np.arange(20)
    daily = pd.DataFrame({"day": np.repeat(days, 3), "replication": np.tile([0, 1, 2], 20),
                          "beds_occupied": 200 + np.tile([0, 5, 9], 20), "beds_available": 215})
    for service in ("reablement", "home_care", "intermediate_care", "care_home"):
        daily[f"{service}_in_use"], daily[f"{service}_queue"] = 50, 2
    pathways = [(f"mean_{kind}_days_p{i}", 5.0 + i, 4.0 + i, 6.0 + i) for i in range(4) for kind in ("los", "delay")]
    summary = pd.DataFrame(pathways, columns=["indicator", "mean", "ci_low", "ci_high"]).set_index("indicator")
    los = pd.DataFrame({"replication": 0, "days": np.arange(61), "spells": np.arange(61)[::-1]})
    contributions = pd.DataFrame({"package": "p", "component": ["rapid_response", "saturday_discharge"],
                                  "indicator": "mean_los_days", "effect_alone": [-0.1, -0.2], "marginal_effect": [-0.1, -0.3]})
    drawn = [figures.occupancy_fan(daily), figures.los_and_delay(summary), figures.los_distribution(los, 8.4, 4.9),
             figures.service_use(daily), figures.contributions(contributions), figures.cost_plane(comparison),
             *(figures.forest(comparison, i) for i in figures.FOREST_INDICATORS if (comparison.indicator == i).any())]
    sensitivity.write_chart(pd.DataFrame({
        "indicator": "mean_los_days", "index": "mu_star", "parameter": ["clinical_stay_scale", "assessment_scale"],
        "value": [0.4, 0.1], "ci_low": [0.3, 0.0], "ci_high": [0.5, 0.2]}), folder / "sensitivity.png")
    outputs.write_fit_plot(pd.DataFrame({
        "target": ["mean_los_days", "readmission_30d_rate"], "observed": [8.5, 0.15], "observed_low": [8.0, 0.13],
        "observed_high": [9.0, 0.17], "simulated": [8.4, 0.16], "simulated_low": [8.3, 0.15],
        "simulated_high": [8.5, 0.17], "start_simulated": [9.1, 0.14]}), folder / "fit.png")
    backtest.write_backtest_plot(pd.DataFrame({
        "measure": "beds_occupied", "day": days, "simulated_low": 190.0, "simulated_high": 210.0,
        "simulated_median": 200.0, "observed": 201.0, "inside": True}), folder / "backtest.png")
    return drawn


@pytest.mark.slow
def clashing_texts(figure: Figure) -> list[str]:
    """Visible texts that overlap another, or reach outside the figure (cut off in its PNG)."""
    canvas = FigureCanvasAgg(figure)  # a figure its writer closed has lost its own
    canvas.draw()
    renderer = canvas.get_renderer()
    undrawn = set()  # labels of ticks outside the axes' limits: matplotlib keeps them but does not draw them
    for axes in figure.axes:
        for axis, limits in ((axes.xaxis, axes.get_xlim()), (axes.yaxis, axes.get_ylim())):
            low, high = sorted(limits)
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - 1e-9 * (high - low) <= tick.get_loc() <= high + 1e-9 * (high - low):
                    undrawn |= {id(tick.label1), id(tick.label2)}
    texts = [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in undrawn]
    boxes = [t.get_window_extent(renderer) for t in texts]
    whole = figure.bbox
    found = [f"cut off: {t.get_text()!r}" for t, b in zip(texts, boxes, strict=True)
             if b.x0 < whole.x0 - 1 or b.x1 > whole.x1 + 1 or b.y0 < whole.y0 - 1 or b.y1 > whole.y1 + 1]
    for i, (a, box_a) in enumerate(zip(texts, boxes, strict=True)):
        for b, box_b in zip(texts[i + 1:], boxes[i + 1:], strict=True):
            if box_a.overlaps(box_b):
                found.append(f"{a.get_text()!r} overlaps {b.get_text()!r}")
    return found


def test_every_figure_is_legible_at_a4(comparison, saved_figures, tmp_path):
    """8 pt or more at A4 text width; no label over another or cut off at the edge."""
    drawn = every_figure(comparison, tmp_path)
    checked = drawn + saved_figures
    forests = sum((comparison.indicator == i).any() for i in figures.FOREST_INDICATORS)
    assert forests == 4 and len(saved_figures) == 3 and len(checked) == 6 + forests + 3
    for figure in checked:
        assert smallest_text_at_a4(figure) >= figures.MIN_FONT_PT, figure.texts or figure.axes[0].get_title()
        assert clashing_texts(figure) == []


def test_the_text_size_check_can_fail():
    """Negative control: 7-pt text, or 9-pt text on a figure twice as wide as the page, is too small."""
    import matplotlib.pyplot as plt

    small, _ = plt.subplots(figsize=(figures.PAGE_WIDTH, 3))
    small.text(0.5, 0.5, "tiny", fontsize=7)
    wide, axes = plt.subplots(figsize=(2 * figures.PAGE_WIDTH, 3))
    axes.tick_params(labelsize=9)
    axes.set_title("shrunk", fontsize=9)
    assert smallest_text_at_a4(small) == 7 and smallest_text_at_a4(wide) == pytest.approx(4.5)
    small.text(0.5, 0.5, "over tiny", fontsize=9)
    small.text(0.99, 0.1, "past the right edge", fontsize=9)
    assert clashing_texts(small) == ["cut off: 'past the right edge'", "'tiny' overlaps 'over tiny'"]
    plt.close("all")
