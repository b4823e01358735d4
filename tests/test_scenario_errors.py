"""Bad input is refused with exit status 2 and one clear message.

Spec ("Scenarios", "Command line"): unknown keys, wrong types, negative
capacities, probabilities that do not sum to one and the like are refused with
a message that names the file, the key path and what was expected; exit status
2 means bad input (scenario, batch or option), with no traceback.

Most cases take the shipped baseline, change one value and write the result
into pytest's tmp_path, then run `python -m sim check FILE` in-process.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
BASELINE_DATA = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
BASELINE_DATA["census"] = str(BASELINE.parent / BASELINE_DATA["census"])  # copies live elsewhere

DELETE = object()  # a change that removes the key instead of setting it


# --- helpers -----------------------------------------------------------------------


def baseline_with(changes: dict[str, object]) -> dict:
    """The baseline as a dict, with each dotted key path set to a value (or DELETEd)."""
    data = copy.deepcopy(BASELINE_DATA)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node[key]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return data


def write_yaml(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `python -m sim ARGV` in-process; return (exit status, stdout, stderr)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def refused(capsys, *argv: str) -> str:
    """Run the CLI, insist it refuses the input as bad (2), cleanly; return the message."""
    status, out, err = cli(capsys, *argv)
    assert status == 2, f"exit {status}, stderr: {err}"
    assert out == "", "nothing goes to stdout when the input is bad"
    assert err.startswith("error: "), err
    assert "Traceback" not in err
    return err


def subprocess_env() -> dict[str, str]:
    """Environment for `python -m sim` in a child process, importable without installing."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


# --- one wrong value in an otherwise valid scenario ----------------------------------

EMPIRICAL_SUM_09 = {"distribution": "empirical", "values": [7, 14, 28], "probabilities": [0.5, 0.3, 0.1]}
EMPIRICAL_3_VS_2 = {"distribution": "empirical", "values": [7, 14, 28], "probabilities": [0.5, 0.5]}

# (id, changes to the baseline, key path the message must name, further words it must contain)
BAD_VALUES = [
    ("unknown key, top level", {"bedz": 210}, "bedz", ["unknown key", "expected", "acute"]),
    ("unknown key, nested", {"acute.bedz": 210}, "acute.bedz", ["unknown key", "expected", "beds"]),
    ("string for an integer", {"acute.beds": "many"}, "acute.beds", ["'many'", "expected a valid integer"]),
    ("string for a number", {"run.horizon_days": "a year"}, "run.horizon_days", ["'a year'", "expected a valid number"]),
    ("list for a section", {"acute": [200, 10]}, "acute", ["[200, 10]", "expected a valid dictionary"]),
    ("list for a nested section", {"services.reablement": [120]}, "services.reablement", ["expected a valid dictionary"]),
    ("zero acute beds", {"acute.beds": 0}, "acute.beds", ["value 0", "expected greater than 0"]),
    ("negative acute beds", {"acute.beds": -10}, "acute.beds", ["value -10", "expected greater than 0"]),
    ("zero reablement places", {"services.reablement.places": 0}, "services.reablement.places", ["expected greater than 0"]),
    ("negative reablement places", {"services.reablement.places": -1}, "services.reablement.places", ["expected greater than 0"]),
    ("probability above 1", {"in_hospital_death.probability.85+": 1.5}, "in_hospital_death.probability", ["'85+'", "1.5", "expected between 0 and 1"]),
    ("probability below 0", {"in_hospital_death.probability.65-74": -0.1}, "in_hospital_death.probability", ["'65-74'", "-0.1", "expected between 0 and 1"]),
    ("pathway probability above 1", {"pathways.probabilities.75-84.p0": 1.5}, "pathways.probabilities.75-84.p0", ["expected less than or equal to 1"]),
    ("share of 1 or more", {"demand.admission_avoidance_share": 1.2}, "demand.admission_avoidance_share", ["expected less than 1"]),
    ("pathways do not sum to 1", {"pathways.probabilities.75-84": {"p0": 0.60, "p1": 0.35, "p2": 0.05, "p3": 0.02}}, "pathways.probabilities.75-84", ["1.02", "expected 1"]),
    ("empirical probabilities sum to 0.9", {"services.reablement.duration": EMPIRICAL_SUM_09}, "services.reablement.duration", ["sum to 0.9", "expected 1"]),
    ("empirical lengths differ", {"services.reablement.duration": EMPIRICAL_3_VS_2}, "services.reablement.duration", ["3 entries", "2", "expected the same number"]),
    ("unknown distribution", {"services.reablement.duration": {"distribution": "weibull", "mean": 15.0}}, "services.reablement.duration.distribution", ["'weibull'", "lognormal", "empirical"]),
    ("age band missing from arrivals", {"demand.arrivals_per_day.85+": DELETE}, "demand.arrivals_per_day", ["'85+'", "expected one for every band"]),
    ("age band not in age_bands", {"demand.arrivals_per_day.95+": 1.0}, "demand.arrivals_per_day", ["'95+'", "not in age_bands", "expected one of"]),
    ("discharge window reversed", {"discharge.start_hour": 20, "discharge.end_hour": 8}, "discharge", ["start_hour 20", "end_hour 8", "expected start_hour < end_hour"]),
    ("discharge window empty", {"discharge.start_hour": 12, "discharge.end_hour": 12}, "discharge", ["expected start_hour < end_hour"]),
    ("escalation closes every bed", {"acute.beds": 200, "acute.escalation": [{"months": [7, 8], "extra_beds": -200}]}, "acute", ["escalation leaves 0 beds in month 7", "expected at least 1"]),
    ("escalation leaves negative beds", {"acute.beds": 200, "acute.escalation": [{"months": [8], "extra_beds": -250}]}, "acute", ["-50 beds in month 8", "expected at least 1"]),
]


@pytest.mark.parametrize(
    "changes, key_path, words", [case[1:] for case in BAD_VALUES], ids=[case[0] for case in BAD_VALUES]
)
def test_bad_value_is_refused_naming_file_key_path_and_expectation(tmp_path, capsys, changes, key_path, words):
    path = write_yaml(tmp_path / "bad.yaml", baseline_with(changes))
    message = refused(capsys, "check", str(path))
    assert f"{path}: {key_path}:" in message, message
    assert "expected" in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_only_the_wrong_values_are_reported(tmp_path, capsys):
    """Two mistakes give two lines, each with its own key path; valid values are not mentioned."""
    path = write_yaml(tmp_path / "two.yaml", baseline_with({"acute.beds": 0, "services.care_home.places": -3}))
    lines = refused(capsys, "check", str(path)).removeprefix("error: ").strip().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"{path}: acute.beds: value 0:")
    assert lines[1].startswith(f"{path}: services.care_home.places: value -3:")


# --- files that are not a scenario at all -------------------------------------------------


def test_yaml_syntax_error_gives_the_line_number(tmp_path, capsys):
    lines = BASELINE.read_text(encoding="utf-8").splitlines()
    bad_line = next(n for n, line in enumerate(lines, start=1) if re.match(r"  beds: \d+", line))  # as an editor counts
    lines[bad_line - 1] = "  beds: 200: 210"  # "mapping values are not allowed here"
    path = write_text(tmp_path / "syntax.yaml", "\n".join(lines) + "\n")
    message = refused(capsys, "check", str(path))
    assert f"{path}: YAML syntax error at line {bad_line}," in message, message


@pytest.mark.parametrize(
    "text, words",
    [
        ("", ["empty", "expected a YAML mapping"]),
        ("# only a comment\n", ["empty", "expected a YAML mapping"]),
        ("- name: baseline\n- name: other\n", ["top level is a list", "expected a YAML mapping"]),
        ("just a sentence\n", ["top level is a str", "expected a YAML mapping"]),
    ],
    ids=["empty file", "only a comment", "top level is a list", "top level is a string"],
)
def test_file_without_a_mapping_is_refused(tmp_path, capsys, text, words):
    path = write_text(tmp_path / "odd.yaml", text)
    message = refused(capsys, "check", str(path))
    assert message.startswith(f"error: {path}: ")
    for word in words:
        assert word in message, message


def test_missing_file_is_refused(tmp_path, capsys):
    path = tmp_path / "no-such-scenario.yaml"
    message = refused(capsys, "check", str(path))
    assert f"{path}: file not found" in message


def test_folder_instead_of_a_file_is_refused(tmp_path, capsys):
    message = refused(capsys, "check", str(tmp_path))
    assert f"{tmp_path}: cannot be read" in message


# --- extends ------------------------------------------------------------------------------


def test_extends_missing_target_is_refused(tmp_path, capsys):
    path = write_text(tmp_path / "child.yaml", "extends: parent-that-is-not-there.yaml\nname: child\n")
    message = refused(capsys, "check", str(path))
    assert f"{path}: extends:" in message
    assert "parent-that-is-not-there.yaml" in message
    assert "expected an existing scenario file" in message


def test_cyclic_extends_is_refused(tmp_path, capsys):
    a = write_text(tmp_path / "a.yaml", "extends: b.yaml\nname: a\n")
    b = write_text(tmp_path / "b.yaml", "extends: a.yaml\nname: b\n")
    message = refused(capsys, "check", str(a))
    assert "cyclic" in message
    assert str(a.resolve()) in message and str(b.resolve()) in message
    assert "expected each file at most once" in message


def test_extends_child_changes_one_value_and_keeps_its_siblings(tmp_path, capsys):
    child = write_text(
        tmp_path / "more-beds.yaml",
        f"extends: {BASELINE}\n"
        "name: more-beds\n"
        "acute:\n"
        "  beds: 250\n",
    )
    status, out, err = cli(capsys, "check", str(child))
    assert status == 0, err
    assert "250 acute beds" in out

    parent, scenario = load_scenario(BASELINE), load_scenario(child)
    assert scenario.name == "more-beds"
    assert scenario.acute.beds == 250
    # deep merge: the rest of `acute` and every other section come from the parent
    assert scenario.acute.escalation == parent.acute.escalation
    assert scenario.acute.when_full == parent.acute.when_full
    assert scenario.model_dump(exclude={"name", "acute"}) == parent.model_dump(exclude={"name", "acute"})


def test_extends_child_replaces_a_distribution_whole(tmp_path, capsys):
    """Swapping a lognormal (mean, sd) for an exponential (mean) must not inherit the sd."""
    child = write_text(
        tmp_path / "exponential.yaml",
        f"extends: {BASELINE}\n"
        "name: exponential-reablement\n"
        "services:\n"
        "  reablement:\n"
        "    duration: {distribution: exponential, mean: 15.0}\n",
    )
    status, _, err = cli(capsys, "check", str(child))
    assert status == 0, err
    scenario = load_scenario(child)
    assert scenario.services.reablement.duration.model_dump() == {"distribution": "exponential", "mean": 15.0}
    assert scenario.services.reablement.places == load_scenario(BASELINE).services.reablement.places


def test_error_in_a_value_set_by_the_child_names_the_child(tmp_path, capsys):
    child = write_text(tmp_path / "child.yaml", f"extends: {BASELINE}\nname: child\nacute:\n  beds: -1\n")
    message = refused(capsys, "check", str(child))
    assert f"{child}: acute.beds: value -1:" in message
    assert str(BASELINE) not in message


def test_error_in_a_value_inherited_from_the_parent_names_the_parent(tmp_path, capsys):
    parent = write_text(
        tmp_path / "parent.yaml",
        f"extends: {BASELINE}\nname: parent\nservices:\n  reablement:\n    places: 0\n",
    )
    child = write_text(tmp_path / "child.yaml", "extends: parent.yaml\nname: child\nacute:\n  beds: 250\n")
    message = refused(capsys, "check", str(child))
    assert f"{parent}: services.reablement.places: value 0:" in message
    assert str(child) not in message


# --- --set ------------------------------------------------------------------------------


def test_set_override_changes_the_value(capsys):
    status, out, err = cli(capsys, "check", str(BASELINE), "--set", "acute.beds=320")
    assert status == 0, err
    assert "320 acute beds" in out
    assert load_scenario(BASELINE, ["acute.beds=320"]).acute.beds == 320


def test_set_override_is_validated_like_the_file(capsys):
    message = refused(capsys, "check", str(BASELINE), "--set", "acute.beds=-1")
    assert "acute.beds: value -1: expected greater than 0" in message
    assert "--set" in message


def test_set_override_with_an_unknown_key_is_refused(capsys):
    message = refused(capsys, "check", str(BASELINE), "--set", "acute.bedz=320")
    assert "acute.bedz: unknown key" in message


@pytest.mark.parametrize("assignment", ["foo", "=320", "acute.beds=[1"], ids=["no equals sign", "no key", "value not YAML"])
def test_malformed_set_is_refused(capsys, assignment):
    message = refused(capsys, "check", str(BASELINE), "--set", assignment)
    assert repr(assignment) in message


def test_set_below_a_single_value_is_refused(capsys):
    message = refused(capsys, "check", str(BASELINE), "--set", "acute.beds.winter=10")
    assert "acute.beds holds a single value" in message


# --- bad command-line options -------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, words",
    [
        (["run", str(BASELINE), "--workers", "0"], ["--workers", "'0'", "1 or more"]),
        (["run", str(BASELINE), "--workers", "two"], ["--workers", "'two'", "whole number"]),
        (["run", str(BASELINE), "--replications", "0"], ["--replications", "1 or more"]),
        (["run", str(BASELINE), "--seed", "-1"], ["--seed", "0 or more"]),
        (["run", str(BASELINE), "--no-such-option"], ["unrecognized arguments: --no-such-option"]),
        (["check", str(BASELINE), "--no-such-option"], ["unrecognized arguments: --no-such-option"]),
        (["run"], ["required", "scenario"]),
        (["no-such-command"], ["invalid choice", "'no-such-command'"]),
        ([], ["required", "command"]),
    ],
    ids=["workers 0", "workers not a number", "replications 0", "negative seed", "unknown run option",
         "unknown check option", "run without a scenario", "unknown command", "no command"],
)
def test_bad_option_is_refused(capsys, argv, words):
    message = refused(capsys, *argv)
    assert "see --help" in message
    for word in words:
        assert word in message, message


def test_bad_option_is_refused_before_anything_runs(tmp_path, capsys):
    out_dir = tmp_path / "out"
    refused(capsys, "run", str(BASELINE), "--workers", "0", "--out", str(out_dir))
    assert not out_dir.exists()


# --- the real command line: exit status 2 and no traceback ----------------------------------


@pytest.mark.parametrize("case", ["unknown key", "YAML syntax error", "missing file"])
def test_real_process_exits_2_without_traceback(tmp_path, case):
    if case == "unknown key":
        path = write_yaml(tmp_path / "bad.yaml", baseline_with({"acute.bedz": 210}))
        expected = f"{path}: acute.bedz: unknown key"
    elif case == "YAML syntax error":
        path = write_text(tmp_path / "bad.yaml", "name: broken\nacute:\n  beds: 200: 210\n")
        expected = f"{path}: YAML syntax error at line 3"
    else:
        path = tmp_path / "absent.yaml"
        expected = f"{path}: file not found"
    done = subprocess.run(
        [sys.executable, "-m", "sim", "check", str(path)],
        capture_output=True, text=True, env=subprocess_env(), cwd=tmp_path, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ")
    assert expected in done.stderr, done.stderr


# --- gaps found in review, now fixed ----------------------------------------------------------


@pytest.mark.parametrize(
    "assignment", ["run.horizon_days=.inf", "clinical_stay.by_pathway.p0.mean=.inf", "demand.month_factors=[.inf,1,1,1,1,1,1,1,1,1,1,1]"]
)
def test_infinite_values_are_refused(capsys, assignment):
    message = refused(capsys, "check", str(BASELINE), "--set", assignment)
    assert assignment.partition("=")[0] in message


def test_set_into_a_mapping_entry_is_named_as_set(capsys):
    message = refused(capsys, "check", str(BASELINE), "--set", "demand.arrivals_per_day.85+=-1")
    assert "'85+'" in message
    assert message.startswith("error: --set: demand.arrivals_per_day:"), message


def test_file_that_is_not_text_is_refused(tmp_path, capsys):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00name: x\n")
    message = refused(capsys, "check", str(path))
    assert str(path) in message


def test_duplicate_key_is_refused(tmp_path, capsys):
    text = BASELINE.read_text(encoding="utf-8") + "\nacute:\n  beds: 300\n"  # a second `acute:` section
    path = write_text(tmp_path / "duplicate.yaml", text)
    message = refused(capsys, "check", str(path))
    assert "acute" in message
