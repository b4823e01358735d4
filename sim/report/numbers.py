"""Numbers for people: a value and its 95 % interval, rounded to the precision the interval supports.

One place decides how the report, the command line and the web app show a
number, so that a value reads the same everywhere:

- rounded to the decimal place the interval's half-width supports: its first
  significant figure, or its first two when they are 10 to 35 (so 0.15 is not
  rounded to 0.1, a third smaller; the Particle Data Group's rule); without an
  interval, three significant figures, and whole numbers are never rounded
  below the units;
- never in scientific notation, never finer than a thousandth (MAX_DECIMALS),
  with thousands separators;
- shares (unit `share`, fractions 0-1) shown as %, and a difference of shares
  or of percentages in percentage points (pp);
- money (units starting with GBP) as GBP 77, GBP 52,000 or GBP 1.2m.

The unit of any other indicator (days, bed days/year, ...) is not written: a
table says it in its header, a sentence in its words.

    >>> format_estimate(8.427, 8.372, 8.482, "days")
    '8.43 (8.37 to 8.48)'
    >>> format_estimate(-0.0089, -0.0113, -0.0065, "share", difference=True)
    '-0.89 pp (-1.13 pp to -0.65 pp)'
    >>> format_estimate(-4.73, -4.85, -4.61, "%", signed=True)
    '-4.73 % (-4.85 % to -4.61 %)'
    >>> format_number(66_080_000, "GBP/year", half_width=450_000)
    'GBP 66.1m'
"""

from __future__ import annotations

import math

MAX_DECIMALS = 3  # finer than a thousandth of a day, a GBP, a per cent or a point is never worth reading
NOT_AVAILABLE = "n/a"
MILLION = 1e6


def decimals(half_width: float) -> int | None:
    """Decimal places the interval supports (negative: round to tens, hundreds...); None without an interval."""
    if not math.isfinite(half_width) or half_width <= 0:
        return None
    exponent = math.floor(math.log10(half_width))
    leading = half_width / 10**exponent  # 1 <= leading < 10
    figures = 2 if leading < 3.55 else 1
    return min(MAX_DECIMALS, figures - 1 - exponent)


def _default_decimals(value: float) -> int:
    """Without an interval: three significant figures, but whole units at least."""
    if value == 0:
        return 0
    return min(MAX_DECIMALS, max(0, 2 - math.floor(math.log10(abs(value)))))


def _style(unit: str, difference: bool) -> tuple[float, str, str]:
    """(multiplier, prefix, suffix) of a unit: shares as %, differences of % as points, money as GBP."""
    if unit == "share":
        return 100.0, "", " pp" if difference else " %"
    if unit == "%":
        return 1.0, "", " pp" if difference else " %"
    if unit.startswith("GBP"):
        return 1.0, "GBP ", ""
    return 1.0, "", ""


def _digits(value: float, places: int, signed: bool) -> str:
    """`value` rounded to `places` decimal places (negative: tens, hundreds...), with separators, never 1e-07."""
    rounded = round(value, places)
    text = f"{abs(rounded):,.{max(places, 0)}f}"
    if rounded == 0:
        return "0"  # no sign, no spurious -0.000
    return ("-" if rounded < 0 else "+" if signed else "") + text


def _shown(value: float, unit: str, half_width: float, difference: bool, signed: bool, words: bool,
           millions: bool | None) -> str:
    """One value; `millions` None: in millions if the value itself reaches GBP 1m."""
    if value is None or not math.isfinite(value):
        return NOT_AVAILABLE
    multiplier, prefix, suffix = _style(unit, difference)
    if words and suffix == " pp":
        suffix = " percentage points"
    value, half_width = value * multiplier, half_width * multiplier
    if prefix and (abs(value) >= MILLION if millions is None else millions):
        value, half_width, suffix = value / MILLION, half_width / MILLION, "m"
    places = decimals(half_width)
    return prefix + _digits(value, places if places is not None else _default_decimals(value), signed or difference) + suffix


def format_number(
    value: float, unit: str = "", half_width: float = math.nan, *,
    difference: bool = False, signed: bool = False, words: bool = False, millions: bool | None = None,
) -> str:
    """One value in its unit's style, rounded to what `half_width` (of its 95 % interval) supports.

    difference: the value is a difference between two scenarios (signed; % and shares in percentage points).
    signed: show + on positive values (e.g. a relative change in %).
    words: 'percentage points' instead of 'pp', for sentences.
    millions: money in GBP millions (True), in pounds (False), or in millions from GBP 1m (None), e.g. to
    keep a table's column on one scale.
    Missing or infinite: 'n/a'.
    """
    return _shown(value, unit, half_width, difference, signed, words, millions)


def _on_one_scale(unit: str, *values: float) -> bool | None:
    """Money: in millions for all if any reaches GBP 1m; None for other units."""
    if not unit.startswith("GBP"):
        return None
    return max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0) >= MILLION


def format_interval(
    low: float, high: float, unit: str = "", *, difference: bool = False, signed: bool = False, words: bool = False,
    millions: bool | None = None,
) -> str:
    """'low to high', both rounded to what the interval supports; 'n/a' if an end is missing."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return NOT_AVAILABLE
    millions = _on_one_scale(unit, low, high) if millions is None else millions
    half_width = (high - low) / 2
    ends = [_shown(end, unit, half_width, difference, signed, words, millions) for end in (low, high)]
    return f"{ends[0]} to {ends[1]}"


def format_estimate(
    value: float, low: float, high: float, unit: str = "", *,
    difference: bool = False, signed: bool = False, words: bool = False, millions: bool | None = None,
) -> str:
    """'value (low to high)': a mean and its 95 % interval, all three rounded to what the interval supports.

    Money is in millions for all three if any of them reaches GBP 1m (unless
    `millions` says otherwise), so the three read on one scale. Without an
    interval (a missing end, or no width: an exact value): the value alone.
    """
    if not (math.isfinite(low) and math.isfinite(high)) or low == high:
        return format_number(value, unit, difference=difference, signed=signed, words=words, millions=millions)
    millions = _on_one_scale(unit, value, low, high) if millions is None else millions
    half_width = (high - low) / 2
    value_text, low_text, high_text = (
        _shown(v, unit, half_width, difference, signed, words, millions) for v in (value, low, high)
    )
    return f"{value_text} ({low_text} to {high_text})"
