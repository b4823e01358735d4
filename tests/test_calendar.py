"""The calendar convention: day 0 is Monday 1 January; 365-day years; discharge windows."""

import numpy as np
import pytest

from sim.calendar import (
    DischargeWindow,
    beds_at,
    demand_multiplier,
    month,
    month_boundaries,
    weekday,
)
from sim.scenario.schema import Acute, Demand, Discharge


def test_day_zero_is_a_monday_in_january_and_warmup_days_come_before():
    assert weekday(0.0) == 0 and month(0.0) == 1
    assert weekday(-0.5) == 6  # the Sunday before
    assert month(-1.0) == 12  # 31 December of the year before
    assert weekday(np.array([0.2, 1.5, 6.9, 7.0])).tolist() == [0, 1, 6, 0]


def test_months_follow_a_365_day_year():
    assert month(30.99) == 1 and month(31.0) == 2
    assert month(58.9) == 2 and month(59.0) == 3
    assert month(364.5) == 12 and month(365.0) == 1
    days = np.arange(365.0)
    assert np.bincount(month(days))[1:].tolist() == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def test_month_boundaries_cover_warmup_and_horizon():
    boundaries = month_boundaries(-40.0, 60.0)
    assert boundaries == [-31.0, 0.0, 31.0, 59.0]


def test_demand_multiplier_combines_weekday_month_growth_and_avoidance():
    demand = Demand(
        arrivals_per_day={"all": 10.0},
        day_of_week_factors=[2.0, 1, 1, 1, 1, 1, 0.5],
        month_factors=[1.5] + [1.0] * 11,
        growth_per_year=0.1,
        admission_avoidance_share=0.2,
    )
    t = np.array([0.5, 6.5, 396.5])  # a January Monday, a January Sunday, a February Friday a year on
    expected = np.array([2.0 * 1.5, 0.5 * 1.5, 1.0 * 1.0]) * 1.1 ** (t / 365) * 0.8
    assert demand_multiplier(demand, t) == pytest.approx(expected)


def test_escalation_beds_apply_in_their_months_only():
    acute = Acute(beds=100, escalation=[{"months": [12, 1, 2], "extra_beds": 10}, {"months": [1], "extra_beds": -5}])
    assert beds_at(acute, 0.5) == 105  # January: +10 -5
    assert beds_at(acute, 40.0) == 110  # February
    assert beds_at(acute, 100.0) == 100  # April
    assert beds_at(acute, -1.0) == 110  # December before


def test_discharge_window_waits_for_the_next_opening():
    window = DischargeWindow(Discharge(days=["Mon", "Tue", "Wed", "Thu", "Fri"], start_hour=8, end_hour=20))
    friday_9pm = 4 + 21 / 24
    assert window.next_open(friday_9pm) == pytest.approx(7 + 8 / 24)  # Monday 8:00
    tuesday_10am = 1 + 10 / 24
    assert window.next_open(tuesday_10am) == tuesday_10am
    tuesday_3am = 1 + 3 / 24
    assert window.next_open(tuesday_3am) == pytest.approx(1 + 8 / 24)
    assert window.next_open(1 + 20 / 24) == pytest.approx(2 + 8 / 24)  # closes at 20:00 sharp


def test_always_open_window_never_delays():
    window = DischargeWindow(Discharge())
    assert window.next_open(5.4321) == 5.4321
