"""Historic targets: an indicator, its value, its uncertainty, the period and the source.

A target's sd is given, or taken from a 95 % interval as its width / 3.92.
`target_table` sets a run's summary against the targets: z = (simulated -
target) / sqrt(sd_target^2 + se_simulated^2), the measure a calibration
minimises and a modeller reads.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from scipy import stats

from sim.indicators import INDICATORS
from sim.scenario.load import file_error, read_yaml_mapping
from sim.stats import CONFIDENCE

Z95 = 1.959963984540054


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    indicator: str = Field(description="The model's indicator name")
    value: float = Field(description="Observed value, in the indicator's unit")
    sd: float | None = Field(default=None, gt=0, description="Standard deviation of the observed value")
    interval: list[float] | None = Field(
        default=None, min_length=2, max_length=2, description="95 % interval of the observed value: [low, high]"
    )
    period: str = Field(min_length=1, description="What time the value describes")
    source: str = Field(min_length=1, description="Where the value comes from")

    @field_validator("indicator")
    @classmethod
    def _known(cls, indicator: str) -> str:
        if indicator not in INDICATORS:
            raise ValueError(f"unknown indicator {indicator!r}; expected a name from the indicator table (README)")
        return indicator

    @model_validator(mode="after")
    def _one_uncertainty(self) -> Target:
        if (self.sd is None) == (self.interval is None):
            raise ValueError("give the uncertainty as sd or as interval; expected exactly one")
        if self.interval is not None and not self.interval[0] < self.value < self.interval[1]:
            raise ValueError(f"value {self.value:g} is not inside interval {list(self.interval)}; expected low < value < high")
        return self

    def standard_deviation(self) -> float:
        if self.sd is not None:
            return self.sd
        low, high = self.interval
        return (high - low) / (2 * Z95)


class TargetFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    targets: list[Target] = Field(min_length=1)


def load_targets(path: str | Path) -> list[Target]:
    """Read and validate a targets file; InputError naming the file and key if anything is wrong."""
    path = Path(path)
    try:
        return TargetFile.model_validate(read_yaml_mapping(path)).targets
    except ValidationError as error:
        raise file_error(error, path, TargetFile) from None


def target_table(targets: list[Target], summary: pd.DataFrame) -> pd.DataFrame:
    """Each target against a run's summary (one scenario): observed, simulated, both intervals, and z."""
    rows = []
    by_indicator = summary.set_index("indicator")
    for target in targets:
        sim = by_indicator.loc[target.indicator]
        sd = target.standard_deviation()
        half = (sim.ci_high - sim.ci_low) / 2
        n = sim.replications
        se = half / stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) if n > 1 and math.isfinite(half) else 0.0
        z = (sim["mean"] - target.value) / math.sqrt(sd**2 + se**2)
        rows.append((
            target.indicator, target.value, target.value - Z95 * sd, target.value + Z95 * sd,
            sim["mean"], sim.ci_low, sim.ci_high, z, abs(z) <= Z95, target.source,
        ))
    columns = ["target", "observed", "observed_low", "observed_high", "simulated", "simulated_low", "simulated_high",
               "z", "within_95", "source"]
    return pd.DataFrame(rows, columns=columns)
