"""Calibration to historic rates (issue 6). So far: the targets, validated, and how far a run is from them."""

from sim.calibrate.targets import Target, TargetFile, load_targets, target_table

__all__ = ["Target", "TargetFile", "load_targets", "target_table"]
