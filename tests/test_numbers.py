"""Numbers for people: precision from the interval, separators, no scientific notation, %, points and GBP."""

from __future__ import annotations

import doctest
import math

import pytest

from sim.report import numbers
from sim.report.numbers import decimals, format_estimate, format_interval, format_number


def test_the_examples_in_the_module_docstring_hold():
    assert doctest.testmod(numbers).failed == 0


@pytest.mark.parametrize(("half_width", "places"), [
    (0.055, 2),    # one significant figure: 0.06
    (0.15, 2),     # leading 1-3: two figures, 0.15 (not 0.1, a third smaller)
    (0.354, 2),
    (0.36, 1),
    (4.6, 0),
    (46.0, -1),    # round to tens
    (450_000, -5),
    (1e-9, 3),     # never finer than a thousandth
])
def test_decimals_follow_the_half_width(half_width, places):
    assert decimals(half_width) == places


@pytest.mark.parametrize("half_width", [0.0, -1.0, math.nan, math.inf])
def test_no_interval_gives_no_precision(half_width):
    assert decimals(half_width) is None


def test_plain_values_round_to_the_interval_with_separators():
    assert format_estimate(8555.2, 8509.4, 8601.3) == "8,560 (8,510 to 8,600)"
    assert format_estimate(8.427, 8.372, 8.482, "days") == "8.43 (8.37 to 8.48)"
    assert format_interval(10_640.0, 11_460.0, "bed days/year") == "10,600 to 11,500"  # half-width 410: hundreds
    assert format_interval(10_650.0, 11_020.0, "bed days/year") == "10,650 to 11,020"  # 185: tens


def test_never_scientific_notation():
    """The issue's example: -1.83e-07 (-6.91e-07 to 3.25e-07) as a difference of shares."""
    text = format_estimate(-1.83e-07, -6.91e-07, 3.25e-07, "share", difference=True)
    assert "e-" not in text and "e+" not in text
    assert text == "0 pp (0 pp to 0 pp)"
    assert format_number(1.23e-9) == "0" and format_number(123_456_789.0) == "123,456,789"
    assert "e" not in format_number(4.2e15, "days")


def test_shares_are_per_cent_and_their_differences_percentage_points():
    assert format_estimate(0.1493, 0.1478, 0.1508, "share") == "14.93 % (14.78 % to 15.08 %)"
    assert format_estimate(0.002, -0.001, 0.005, "share", difference=True) == "+0.20 pp (-0.10 pp to +0.50 pp)"
    assert format_number(-4.2, "%", 0.4, difference=True) == "-4.2 pp"  # occupancy in %: a difference is in points
    assert format_number(-4.2, "%", 0.4, difference=True, words=True) == "-4.2 percentage points"
    assert format_number(90.51, "%", 0.74) == "90.5 %"


def test_relative_changes_are_signed_per_cent():
    assert format_estimate(-4.73, -4.85, -4.61, "%", signed=True) == "-4.73 % (-4.85 % to -4.61 %)"
    assert format_number(2.0, "%", 0.5, signed=True) == "+2.0 %"


def test_money_in_millions_from_a_million_on_one_scale():
    assert format_number(66_080_000, "GBP/year", 450_000) == "GBP 66.1m"
    assert format_number(77.3, "GBP/bed day", 30) == "GBP 77"
    assert format_number(52_340, "GBP/year") == "GBP 52,340"
    assert format_number(52_340, "GBP/year", 2_000) == "GBP 52,300"
    # the interval reaches a million: all three in millions, rounded alike
    assert format_estimate(400_000, -300_000, 1_100_000, "GBP/year", difference=True) == (
        "GBP +0.4m (GBP -0.3m to GBP +1.1m)")
    assert format_estimate(-120.0, -180.0, -60.0, "GBP/bed day") == "GBP -120 (GBP -180 to GBP -60)"
    # a table column on one scale: asked for millions, or asked not to use them
    assert format_estimate(-520_000, -660_000, -380_000, "GBP/year", millions=True) == (
        "GBP -0.52m (GBP -0.66m to GBP -0.38m)")
    assert format_number(2_500_000, "GBP", millions=False) == "GBP 2,500,000"
    assert format_interval(1e6, 3e6, "GBP", millions=False) == "GBP 1,000,000 to GBP 3,000,000"


def test_missing_values_and_missing_intervals():
    assert format_number(math.nan) == "n/a" and format_number(None) == "n/a"
    assert format_interval(math.nan, 3.0) == "n/a"
    assert format_estimate(8.4321, math.nan, math.nan, "days") == "8.43"  # three significant figures
    assert format_estimate(12_345.6, math.nan, math.nan) == "12,346"  # whole units never rounded away
    assert format_estimate(670_000, 670_000, 670_000, "GBP/year", difference=True) == "GBP +670,000"  # exact
