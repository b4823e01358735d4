"""Calibration: historic targets, the fit settings, the search and what it writes."""

from sim.calibrate.fit import run_calibration
from sim.calibrate.outputs import write_calibration
from sim.calibrate.settings import load_calibration
from sim.calibrate.targets import Target, TargetFile, load_targets, target_table

__all__ = ["Target", "TargetFile", "load_calibration", "load_targets", "run_calibration", "target_table", "write_calibration"]
