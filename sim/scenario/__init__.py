"""Scenario format (schema) and how files become validated scenarios (load)."""

from sim.scenario.load import load_scenario, scenario_hash, scenario_key
from sim.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario", "scenario_hash", "scenario_key"]
