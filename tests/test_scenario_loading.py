"""Loading scenarios: what the hash of a scenario depends on, which file an error names when values come from
several files, and the expected keys an error lists deep inside a scenario.

(test_scenario_errors.py checks the messages of bad values one by one; these are the cases that need a
chain of files or a key deep in lists and mappings.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from model_helpers import BASELINE

from sim.batch.plan import load_batch
from sim.calibrate.settings import load_calibration
from sim.errors import InputError
from sim.scenario import load_scenario, scenario_hash
from sim.scenario.load import (
    MAX_VALUES,
    Override,
    check_size,
    error_lines,
    parse_yaml_mapping,
    read_text_file,
    scenario_key,
)
from sim.scenario.schema import NAME_RULE

# --- the hash: what was run -----------------------------------------------------------------------


def test_the_hash_is_the_same_whatever_order_a_file_gives_its_keys(tmp_path):
    """Two whole scenario files that say the same thing, one listing the age bands' arrival rates in another
    order, are the same scenario (the hash sorts keys); a hash is a SHA-256 (64 hexadecimal digits) that any
    change of value changes."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["census"] = None
    written = []
    for name, rates in (("one", data["demand"]["arrivals_per_day"]),
                        ("other", dict(reversed(data["demand"]["arrivals_per_day"].items())))):
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump({**data, "demand": {**data["demand"], "arrivals_per_day": rates}},
                                       sort_keys=False), encoding="utf-8")
        written.append(load_scenario(path))
    assert list(written[0].demand.arrivals_per_day) != list(written[1].demand.arrivals_per_day)  # the orders differ
    assert scenario_hash(written[0]) == scenario_hash(written[1])
    digest = scenario_hash(written[0])
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert scenario_hash(load_scenario(tmp_path / "one.yaml", ["acute.beds=216"])) != digest


def test_the_key_of_a_scenario_leaves_out_only_the_number_of_replications():
    """Finished replications are stored under scenario_key: a rerun asking for more replications finds them."""
    thirty = load_scenario(BASELINE)
    forty = load_scenario(BASELINE, ["run.replications=40"])
    assert scenario_hash(thirty) != scenario_hash(forty)
    assert scenario_key(thirty) == scenario_key(forty)
    assert scenario_key(thirty) != scenario_key(load_scenario(BASELINE, ["run.seed=1"]))
    assert scenario_key(thirty) != scenario_hash(thirty)  # the key is not the hash of what was asked for


# --- which file an error names ----------------------------------------------------------------------------


def chain(tmp_path: Path, parent: dict, child: dict) -> Path:
    """parent.yaml extends the baseline with `parent`; child.yaml (in another folder) extends it with `child`."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "parent.yaml").write_text(yaml.safe_dump({"extends": str(BASELINE), **parent}), encoding="utf-8")
    path = tmp_path / "b" / "child.yaml"
    path.write_text(yaml.safe_dump({"extends": "../a/parent.yaml", **child}), encoding="utf-8")
    return path


def parent_as_named(tmp_path: Path) -> Path:
    """The parent file, as the child names it."""
    return tmp_path / "b" / "../a/parent.yaml"


def error_of(path: Path, overrides: list[str] | None = None) -> str:
    with pytest.raises(InputError) as caught:
        load_scenario(path, overrides)
    return str(caught.value)


def test_a_bad_top_level_value_from_the_parent_names_the_parent(tmp_path):
    path = chain(tmp_path, {"description": 5}, {"name": "child"})
    assert error_of(path).startswith(f"{parent_as_named(tmp_path)}: description: value 5:")


def test_a_bad_distribution_from_the_parent_names_the_parent_though_the_child_changed_its_neighbour(tmp_path):
    """The parent gives pathway 0 a whole distribution with a negative sd; the child changes pathway 1's. The
    error is deep inside pathway 0's distribution, which only the parent set."""
    path = chain(tmp_path, {"clinical_stay": {"by_pathway": {"p0": {"distribution": "lognormal", "mean": 4, "sd": -1}}}},
                 {"clinical_stay": {"by_pathway": {"p1": {"distribution": "exponential", "mean": 9}}}})
    message = error_of(path)
    assert message.startswith(f"{parent_as_named(tmp_path)}: clinical_stay.by_pathway.p0.sd: value -1:"), message


def whole(tmp_path: Path, *deletions: tuple[str, ...]) -> Path:
    """The baseline written whole (no extends, no census), with the keys at `deletions` taken out."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["census"] = None
    for *parents, last in deletions:
        node = data
        for key in parents:
            node = node[key]
        del node[last]
    path = tmp_path / "whole.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_distribution_without_its_kind_is_refused_naming_the_kinds(tmp_path):
    path = whole(tmp_path, ("clinical_stay", "by_pathway", "p0", "distribution"))
    assert error_of(path) == (f"{path}: clinical_stay.by_pathway.p0.distribution: missing; expected one of: "
                              "lognormal, exponential, gamma, weibull, fixed, empirical")


def test_a_missing_value_and_an_unknown_kind_of_distribution(tmp_path):
    path = whole(tmp_path, ("acute", "beds"))
    assert error_of(path) == f"{path}: acute.beds: missing; expected a value (see `python -m sim schema`)"
    assert error_of(BASELINE, ["clinical_stay.by_pathway.p0={distribution: pareto, mean: 3}"]) == (
        "--set: clinical_stay.by_pathway.p0.distribution: value 'pareto': expected one of: lognormal, exponential, "
        "gamma, weibull, fixed, empirical")


def test_a_section_the_file_leaves_out_can_be_set(tmp_path):
    """The file gives no costs (all default to 0); --set makes the section for the value."""
    path = whole(tmp_path, ("costs",))
    assert load_scenario(path).costs.acute_bed_day == 0.0
    assert load_scenario(path, ["costs.acute_bed_day=400"]).costs.acute_bed_day == 400.0


def test_an_error_in_a_section_after_an_override_names_the_override():
    """Escalation that closes every bed: the acute section's own check fails, and the section was changed by
    --set, not by the baseline file."""
    message = error_of(BASELINE, ["acute.escalation=[{months: [1], extra_beds: -300}]"])
    assert message.startswith("--set: acute: escalation leaves -85 beds in month 1"), message
    assert error_of(BASELINE, ["acute.beds=-3"]) == "--set: acute.beds: value -3: expected greater than 0"


def test_an_override_from_a_settings_file_names_that_file_and_finds_a_census_beside_it(tmp_path, monkeypatch):
    """A batch or calibration file passes its values as Overrides: errors name it, and a census file it names
    is read from its folder, not from the working directory."""
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "census.csv").write_text("place,age_band,days\nacute_bed,85+,3\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    named = Override("census=census.csv", source="settings/batch.yaml", folder=tmp_path / "settings")
    census = load_scenario(BASELINE, [named]).census
    assert [(e.place, e.days) for e in census] == [("acute_bed", 3.0)]
    # a source that is a name, not a path (a sensitivity config's `set`): still the folder given
    census = load_scenario(BASELINE, [Override("census=census.csv", source="set", folder=tmp_path / "settings")]).census
    assert [(e.place, e.days) for e in census] == [("acute_bed", 3.0)]
    bad = Override("acute.beds=-3", source="settings/batch.yaml", folder=tmp_path / "settings")
    assert error_of(BASELINE, [bad]) == "settings/batch.yaml: acute.beds: value -3: expected greater than 0"
    malformed = Override("acute.beds", source="settings/batch.yaml")
    assert error_of(BASELINE, [malformed]).startswith("settings/batch.yaml 'acute.beds': expected KEY.PATH=VALUE")


def test_a_name_against_its_pattern_is_explained_in_words(tmp_path):
    assert error_of(BASELINE, ["name=two words"]) == f"--set: name: value 'two words': expected {NAME_RULE}"
    settings = tmp_path / "fit.yaml"
    settings.write_text(yaml.safe_dump({
        "name": "fit", "scenario": str(BASELINE), "targets": str(BASELINE.parents[1] / "calibration" / "targets.yaml"),
        "parameters": [{"name": "two words", "keys": ["acute.beds"], "low": 100, "high": 300}], "replications": 2,
    }), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_calibration(settings)
    assert str(caught.value) == f"{settings}: parameters.0.name: value 'two words': expected letters, digits and _ only"


def test_a_long_value_is_cut_in_a_message():
    """A long list is shown by its first six items (reprlib, which never renders the whole value: an alias bomb
    would exhaust memory first), and the message stays one short line."""
    factors = list(range(1, 26))
    message = error_of(BASELINE, [f"demand.day_of_week_factors={factors}"])
    assert message == ("--set: demand.day_of_week_factors: value [1, 2, 3, 4, 5, 6, ...]: "
                       "list should have at most 7 items after validation, not 25")


# --- the keys an unknown key could have been -------------------------------------------------------------


@pytest.mark.parametrize(("assignment", "expected"), [
    # inside a mapping of age bands, then inside the band's outcomes
    ('services.reablement.outcomes={"85+": {independent: 0.5, home_care: 0.3, readmitted: 0.1, died: 0.1, bogus: 1}}',
     "--set: services.reablement.outcomes.85+.bogus: unknown key; expected one of: independent, home_care, readmitted, died"),
    # inside a list, then inside its first entry
    ("acute.escalation=[{months: [1], extra_beds: 2, bogus: 1}]",
     "--set: acute.escalation.0.bogus: unknown key; expected one of: months, extra_beds"),
    # at the top level
    ("bogus=1", "--set: bogus: unknown key; expected one of: name, description, run, "),
    # inside a distribution, whose keys depend on its kind: no list to give
    ("clinical_stay.by_pathway.p0={distribution: lognormal, mean: 4, sd: 8, bogus: 1}",
     "--set: clinical_stay.by_pathway.p0.bogus: unknown key; see `python -m sim schema`"),
])
def test_an_unknown_key_deep_in_lists_and_mappings_lists_the_keys_allowed_there(assignment, expected):
    assert error_of(BASELINE, [assignment]).startswith(expected)


def test_every_problem_in_a_settings_file_is_a_line_of_its_own(tmp_path):
    """A batch file with three mistakes: three lines, each naming the file and the key; an unknown key lists the
    keys a batch file has (not a scenario's)."""
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump({"name": "three mistakes", "baseline": str(BASELINE), "replications": 0,
                                    "seed": 1, "acute": {"beds": 3}}), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_batch(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(f"{path}: name: value 'three mistakes':")
    assert lines[1].startswith(f"{path}: replications: value 0: expected greater than or equal to 1")
    assert lines[2].startswith(f"{path}: acute: unknown key; expected one of: name, description, baseline, ")


@pytest.mark.parametrize("count", [20, 25])
def test_a_long_list_of_problems_describes_the_first_20_and_counts_the_rest(count):
    """25 problems: 20 lines, then '... and 5 more problems'; exactly 20: the 20 lines and nothing more."""
    described = []

    def describe(error: dict) -> str:
        described.append(error)
        return f"problem {error['n']}"

    lines = error_lines([{"n": n} for n in range(count)], describe).splitlines()
    assert lines[:20] == [f"problem {n}" for n in range(20)]
    assert lines[20:] == ([] if count == 20 else ["... and 5 more problems"])
    assert len(described) == 20  # the rest are not described


def test_the_size_check_counts_values_inside_mappings_and_lists_and_sees_a_value_containing_itself():
    """check_size (what refuses a YAML alias bomb) on values built here: a mapping holding a list of MAX_VALUES
    numbers is too big, one 10 short is not; 70 nested mappings are too deep, 60 are not; a list holding itself
    is named as such (not as too deep)."""
    check_size({"a": {"b": list(range(MAX_VALUES - 10))}}, "x")
    with pytest.raises(InputError, match="more than 200,000 values"):
        check_size({"a": {"b": list(range(MAX_VALUES))}}, "x")

    def nested(depth: int) -> dict:
        value: dict = {}
        for _ in range(depth):
            value = {"a": value}
        return value

    check_size(nested(60), "x")
    with pytest.raises(InputError, match="nested more than 64 levels"):
        check_size(nested(70), "x")
    itself: list = [1]
    itself.append(itself)
    with pytest.raises(InputError, match="contains itself"):
        check_size({"a": itself}, "x")


@pytest.mark.parametrize("text, kind", [("? [a, b]\n: 1\n", "list"), ("? {a: 1}\n: 1\n", "mapping")])
def test_a_key_that_is_a_list_or_a_mapping_is_named_as_such(text, kind):
    with pytest.raises(InputError, match=f"x: YAML at line 1, column 3: a key is a {kind}; expected a plain name"):
        parse_yaml_mapping(text, "x")


def test_a_control_character_is_refused_in_one_line():
    """The YAML reader's own errors (a control character) have no `problem` and print on two lines: the message is
    one line naming the source."""
    with pytest.raises(InputError) as caught:
        parse_yaml_mapping("a: \x07\n", "x")
    assert str(caught.value) == ('x: YAML syntax error: unacceptable character #x0007: control characters are not '
                                 'allowed in "<unicode string>", position 3')


def test_an_alias_bomb_anywhere_in_a_file_is_refused_before_it_is_read_further():
    """Nine lists of nine aliases of the one before: 9^9 values once expanded, refused by the size check (a bomb
    under a key the schema knows would otherwise be validated value by value)."""
    lines = ["l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]
    with pytest.raises(InputError, match="more than 200,000 values"):
        parse_yaml_mapping("\n".join(lines) + "\nacute: {escalation: *l8}\n", "x")


def test_a_missing_parent_is_named_with_the_value_given(tmp_path):
    path = tmp_path / "child.yaml"
    path.write_text("extends: missing.yaml\n", encoding="utf-8")
    assert error_of(path).startswith(f"{path}: extends: value 'missing.yaml': no such file")


def test_a_file_over_the_limit_is_refused_naming_the_limit(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (2**20 + 1))
    with pytest.raises(InputError, match=f"^{path}: larger than 1 MiB; expected a YAML file$"):
        read_text_file(path, "a YAML file", limit=2**20)
    assert read_text_file(path, "a YAML file", limit=2**20 + 1) == "#" * (2**20 + 1)  # at the limit: read
