"""A hostile-input corpus (issue 14): what a demanding user or an attacker might hand the command line.

Every case is generated here, in pytest's tmp_path, and run through the real
command line in-process (`sim.cli.main`). Each must give exit status 2 with a
message that names the file (or option) and the key, one line per problem,
no traceback; or, where the input is odd but meaningful, a sensible result
(exit 0). In every case nothing outside `--out` is created, changed or
removed: the whole tmp_path (inputs, working directory) is compared before
and after.

The groups are the issue's: 1 output paths, 5 inputs that would tie up the
machine, 6 errors that were exit 1, 7 bad data accepted silently, 9 messages,
plus the documented upper bounds and plain wrong values of every field that
could exhaust memory or time. Groups 2, 3, 4 and 8 (interruptions, the task
store, dask, a full disk) are faults, not inputs: tests/test_faults.py.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from sim.cli import main

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.yaml"
AS_ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False
TINY = ["--set", "run.horizon_days=3", "--set", "run.warmup_days=0"]


@dataclass
class Case:
    """One hostile input: how to make it, what should come back, and what the message must name."""

    name: str
    group: str
    make: Callable[[Path], list[str]]  # writes its files under the folder given; returns the command line
    status: int = 2
    names: list[str] = field(default_factory=list)  # "{dir}" stands for the case's folder


def scenario(folder: Path, text: str, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_text(f"extends: {json.dumps(str(BASELINE))}\n{text}", encoding="utf-8")
    return path


def nested(key_path: str, value: str) -> str:
    """YAML text setting a dotted key path to `value` (itself YAML)."""
    parts = key_path.split(".")
    return "".join(f"{'  ' * depth}{part}:\n" for depth, part in enumerate(parts[:-1])) + f"{'  ' * (len(parts) - 1)}{parts[-1]}: {value}\n"


def check_file(text: str, *extra: str) -> Callable[[Path], list[str]]:
    return lambda folder: ["check", str(scenario(folder, text)), *extra]


# --- the documented bounds and plain wrong values of fields that could exhaust memory or time ------

# field -> its documented upper bound (sim.scenario.schema)
BOUNDED = {
    "run.horizon_days": 36_500, "run.warmup_days": 3650, "run.replications": 10000,
    "acute.beds": 1_000_000, "services.reablement.places": 1_000_000, "services.home_care.packages": 1_000_000,
    "services.home_care.clients_at_start": 100_000, "services.intermediate_care.places": 1_000_000,
    "services.care_home.places": 1_000_000, "services.care_home.residents_at_start": 100_000,
    "services.home_care.hours_per_week": 168, "demand.growth_per_year": 1,
    "clinical_stay.by_pathway.p0.mean": 36_500, "services.reablement.duration.mean": 36_500,
}
INTEGER_FIELDS = {"run.replications", "acute.beds", "services.reablement.places", "services.home_care.packages",
                  "services.home_care.clients_at_start", "services.intermediate_care.places",
                  "services.care_home.places", "services.care_home.residents_at_start", "run.seed"}
NOT_NEGATIVE = [*BOUNDED, "run.seed", "demand.admission_avoidance_share", "readmission.delay_effect_per_day",
                "costs.acute_bed_day"]
WRONG_VALUES = {"negative": "-1", "not a number": ".nan", "a list": "[1, 2]"}  # text, true, {...}: the YAML cases below
OVER_BOUND = {"ten times the bound": lambda bound: str(bound * 10), "1e400 (infinite)": lambda bound: "1e400"}


def field_cases() -> list[Case]:
    cases = []
    for key in NOT_NEGATIVE:
        for label, value in WRONG_VALUES.items():
            if key == "demand.growth_per_year" and label == "negative":
                value = "-1.5"
            cases.append(Case(f"{key} {label}", "bounds", check_file(nested(key, value)), names=["{dir}/s.yaml", key]))
    for key, bound in BOUNDED.items():
        for label, value in OVER_BOUND.items():
            cases.append(Case(f"{key} {label}", "bounds", check_file(nested(key, value(bound))),
                              names=["{dir}/s.yaml", key]))
        if key in INTEGER_FIELDS:
            cases.append(Case(f"{key} 1.5", "bounds", check_file(nested(key, "1.5")), names=["{dir}/s.yaml", key]))
    # negative controls: at the bound itself a value is accepted (the bounds are not too tight)
    at_bound = {"run.horizon_days": "7305", "run.replications": "10000", "acute.beds": "1000000",
                "services.reablement.duration.mean": "36500", "run.warmup_days": "1e3"}
    for key, value in at_bound.items():
        cases.append(Case(f"{key} at its bound {value}", "bounds", check_file(nested(key, value)), status=0))
    return cases


def distribution_cases() -> list[Case]:
    """Extreme lognormal and gamma parameters overflowed (exit 1); other families' extremes too."""
    cases = []
    pairs = [("1e-300", "1e300"), ("1e300", "1e-300"), ("1e308", "1e308"), ("1", "1e6"), ("1", "1e-9"),
             ("0", "1"), ("1", "0"), ("-5", "1")]
    for family in ("lognormal", "gamma", "weibull"):
        for mean, sd in pairs if family != "weibull" else pairs[:4]:
            text = nested("services.reablement.duration", f"{{distribution: {family}, mean: {mean}, sd: {sd}}}")
            cases.append(Case(f"{family} mean {mean} sd {sd}", "6 overflow", check_file(text),
                              names=["{dir}/s.yaml", "services.reablement.duration"]))
    for text in ("{distribution: exponential, mean: 1e308}", "{distribution: fixed, value: 1e308}",
                 "{distribution: empirical, values: [1e308], probabilities: [1]}",
                 "{distribution: empirical, values: [" + ", ".join(["1"] * 10001) + "], probabilities: ["
                 + ", ".join(["0.0001"] * 10001) + "]}",
                 "{distribution: weibull, mean: 3}", "{distribution: gamma, mean: 3}"):
        cases.append(Case(f"duration {text[:50]}", "6 overflow", check_file(nested("services.reablement.duration", text)),
                          names=["{dir}/s.yaml", "services.reablement.duration"]))
    # sensible results: an ordinary spread is accepted; a mean alone changes the file's lognormal's mean
    cases.append(Case("duration {mean: 3}", "6 overflow", status=0, make=check_file(
        nested("services.reablement.duration", "{mean: 3}"))))
    cases.append(Case("gamma mean 20 sd 15", "6 overflow", status=0, make=check_file(
        nested("services.reablement.duration", "{distribution: gamma, mean: 20, sd: 15}"))))
    return cases


# --- YAML that ties up the machine, or says what it says oddly ---------------------------------------


def alias_bomb(levels: int, width: int, kind: str = "list") -> str:
    lines = ["a0: &a0 " + ("[lol, lol, lol]" if kind == "list" else "{x: 1, y: 2}")]
    for level in range(1, levels):
        refs = [f"*a{level - 1}"] * width
        body = "[" + ", ".join(refs) + "]" if kind == "list" else "{" + ", ".join(f"k{i}: {r}" for i, r in enumerate(refs)) + "}"
        lines.append(f"a{level}: &a{level} {body}")
    return "\n".join(lines) + f"\ndescription: *a{levels - 1}\n"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return path


def fifo(folder: Path, name: str) -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


def extends_chain(folder: Path, length: int) -> list[str]:
    for i in range(length):
        write(folder, f"e{i}.yaml", f"extends: e{i + 1}.yaml\n")
    write(folder, f"e{length}.yaml", f"extends: {json.dumps(str(BASELINE))}\n")
    return ["check", str(folder / "e0.yaml")]


def yaml_cases() -> list[Case]:
    file = ["{dir}/s.yaml"]
    cases = [
        Case(f"alias bomb {levels}x{width} {kind}", "5 size", check_file(alias_bomb(levels, width, kind)), names=file)
        for levels, width, kind in ((9, 9, "list"), (12, 6, "list"), (30, 2, "list"), (9, 9, "dict"), (6, 20, "dict"))
    ]
    cases += [
        Case("alias bomb as a --set value", "5 size", lambda folder: [
            "check", str(BASELINE), "--set", "description={a: &a [x, x, x, x, x, x, x, x], b: &b [*a, *a, *a, *a, *a, *a, *a, *a], "
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b], d: &d [*c, *c, *c, *c, *c, *c, *c, *c], "
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d], f: [*e, *e, *e, *e, *e, *e, *e, *e]}"],
            names=["--set", "description"]),
        Case("a value that contains itself", "5 size", check_file("loop: &loop [*loop]\n"), names=file),
        Case("nested 100 deep", "5 size", check_file("deep: " + "[" * 100 + "]" * 100 + "\n"), names=file),
        Case("nested 5000 deep", "5 size", check_file("deep: " + "[" * 5000 + "]" * 5000 + "\n"), names=file),
        Case("9 MiB file", "5 size", lambda folder: ["check", str(write(folder, "big.yaml", "# " + "x" * (9 * 2**20) + "\n"))],
             names=["{dir}/big.yaml", "MiB"]),
        Case("/dev/zero as the scenario", "5 size", lambda folder: ["check", "/dev/zero"], names=["/dev/zero"]),
        Case("a FIFO as the scenario", "5 size", lambda folder: ["check", str(fifo(folder, "pipe.yaml"))],
             names=["{dir}/pipe.yaml", "FIFO"]),
        Case("extends a FIFO", "5 size", lambda folder: (fifo(folder, "p.yaml"), ["check", str(write(
            folder, "s.yaml", "extends: p.yaml\n"))])[1], names=["{dir}/s.yaml", "extends"]),
        Case("extends /dev/zero", "5 size", lambda folder: ["check", str(write(folder, "s.yaml", "extends: /dev/zero\n"))],
             names=["{dir}/s.yaml", "extends"]),
        Case("extends chain of 1000 files", "5 size", lambda folder: extends_chain(folder, 1000), names=["extends"]),
        Case("extends chain of 17 files", "5 size", lambda folder: extends_chain(folder, 17), names=["extends"]),
        Case("extends chain of 10 files", "5 size", lambda folder: extends_chain(folder, 10), status=0),
        Case("extends itself", "5 size", lambda folder: ["check", str(write(folder, "s.yaml", "extends: s.yaml\n"))],
             names=["{dir}/s.yaml", "extends", "cyclic"]),
        Case("--replications 1000000000", "5 size", lambda folder: ["check", str(BASELINE), "--replications", "1000000000"],
             names=["run.replications", "10000"]),
        Case("horizon 1e12 by --set", "5 size", lambda folder: ["check", str(BASELINE), "--set", "run.horizon_days=1e12"],
             names=["--set", "run.horizon_days"]),
        Case("admission requests beyond memory", "5 size", check_file(
            nested("demand.arrivals_per_day", "{65-74: 9000, 75-84: 9000, 85+: 9000}")), names=file + ["demand"]),
        Case("an empirical table of a million entries", "5 size", check_file(nested(
            "services.reablement.duration", "{distribution: empirical, values: [" + ",".join(["1"] * 20000)
            + "], probabilities: [1]}")), names=file + ["services.reablement.duration"]),
        Case("200 unknown keys", "5 size", check_file("".join(f"unknown_{i}: {i}\n" for i in range(200))),
             names=file + ["unknown_0", "and 180 more problems"]),
        Case("a 100,000-character name", "5 size", check_file(f"name: {'x' * 100_000}\n"), names=file + ["name"]),
        # group 6: exit 1 that must be exit 2
        Case("? [a, b] key", "6 exit 1", check_file("? [a, b]\n: 1\n"), names=file + ["line 2"]),
        Case("? {a: 1} key", "6 exit 1", check_file("? {a: 1}\n: 1\n"), names=file + ["line 2"]),
        Case("a folder as the scenario", "6 exit 1", lambda folder: ["check", str(folder)], names=["{dir}", "folder"]),
        Case("a symlink loop as the scenario", "6 exit 1", lambda folder: (os.symlink(folder / "l2", folder / "l1"), os.symlink(
            folder / "l1", folder / "l2"), ["check", str(folder / "l1")])[2], names=["{dir}/l1"]),
        # group 9: messages, and what a user types
        Case("merge key <<", "9 messages", check_file("defaults: &d {beds: 200}\nacute:\n  <<: *d\n  when_full: wait\n"),
             names=file + ["defaults"]),  # merging works; `defaults` itself is not a scenario key
        Case("merge key << of a scalar", "9 messages", check_file("acute:\n  <<: 3\n"), names=file + ["line"]),
        Case("merge key into the run section", "9 messages", check_file("run:\n  <<: {horizon_days: 100.0}\n"), status=0),
        Case("1e12 is a number", "9 messages", check_file(nested("run.horizon_days", "1e12")),
             names=file + ["run.horizon_days", "less than or equal to 36500"]),
        Case("1e2 is a number", "9 messages", check_file(nested("run.horizon_days", "1e2")), status=0),
        Case("--set 1e2 is a number", "9 messages", lambda folder: ["check", str(BASELINE), "--set", "run.horizon_days=1e2"],
             status=0),
        Case("extends a folder", "9 messages", lambda folder: ["check", str(write(folder, "s.yaml", "extends: /tmp\n"))],
             names=["{dir}/s.yaml", "extends", "is a folder"]),
        Case("extends a missing file", "9 messages", lambda folder: ["check", str(write(folder, "s.yaml", "extends: no.yaml\n"))],
             names=["{dir}/s.yaml", "extends", "no such file"]),
        Case("extends: 3", "9 messages", lambda folder: ["check", str(write(folder, "s.yaml", "extends: 3\n"))],
             names=["{dir}/s.yaml", "extends"]),
        Case("a key twice", "9 messages", check_file("name: a\nname: b\n"), names=file + ["name", "twice"]),
        Case("tabs for indentation", "9 messages", check_file("acute:\n\tbeds: 3\n"), names=file + ["line 3"]),
        Case("unclosed bracket", "9 messages", check_file("name: [\n"), names=file + ["syntax"]),
        Case("undefined alias", "9 messages", check_file("name: *nothing\n"), names=file + ["alias"]),
        Case("not UTF-8", "9 messages", lambda folder: ["check", str(write(folder, "s.yaml", b"name: \xff\xfe\n"))],
             names=["{dir}/s.yaml", "UTF-8"]),
        Case("empty file", "9 messages", lambda folder: ["check", str(write(folder, "s.yaml", ""))], names=["{dir}/s.yaml", "empty"]),
        Case("top-level list", "9 messages", lambda folder: ["check", str(write(folder, "s.yaml", "- a\n"))],
             names=["{dir}/s.yaml", "list"]),
        Case("--set without =", "9 messages", lambda folder: ["check", str(BASELINE), "--set", "acute.beds"], names=["--set"]),
        Case("--set into a value", "9 messages", lambda folder: ["check", str(BASELINE), "--set", "acute.beds.x=1"],
             names=["--set", "acute.beds"]),
        Case("--set bad YAML", "9 messages", lambda folder: ["check", str(BASELINE), "--set", "name=[unclosed"], names=["--set"]),
        Case("text for a number", "9 messages", check_file(nested("acute.beds", "many")), names=file + ["acute.beds"]),
        Case("true for a number", "9 messages", check_file(nested("acute.beds", "true")), names=file + ["acute.beds"]),
        Case("a mapping for a number", "9 messages", check_file(nested("acute.beds", "{a: 1}")), names=file + ["acute.beds"]),
        Case("--max-replications 1e9", "5 size", lambda folder: [
            "run", str(BASELINE), "--precision", "0.05", "--max-replications", "1000000000"], names=["--max-replications"]),
    ]
    return cases


# --- census files ---------------------------------------------------------------------------------

CENSUS_HEADER = "place,age_band,pathway,days,delayed_days\n"
CENSUS_ROW = "acute_bed,65-74,p1,3.0,0.0\n"


def census_case(
    name: str, group: str, content: str | bytes | None, key: str, status: int = 2, extra: str = "", scenario_level: bool = False
) -> Case:
    """A scenario naming a census file with `content` (None: a folder); a check across the census and the
    scenario (`scenario_level`) names the scenario file and its `census` key."""
    def make(folder: Path) -> list[str]:
        census = folder / "census.csv"
        if content is None:
            census.mkdir()
        else:
            write(folder, "census.csv", content)
        return ["check", str(scenario(folder, f"census: census.csv\n{extra}"))]

    names = ["{dir}/s.yaml", "census", key] if scenario_level else ["{dir}/census.csv", key]
    return Case(f"census: {name}", group, make, status=status, names=names if status else [])


def census_cases() -> list[Case]:
    rows = CENSUS_HEADER + CENSUS_ROW
    return [
        census_case("a folder", "6 exit 1", None, "folder"),
        census_case("a field over 128 KB", "6 exit 1", CENSUS_HEADER + "acute_bed,65-74,p1,3.0," + "9" * 140_000 + "\n", "row 2"),
        census_case("an unclosed quote", "6 exit 1", CENSUS_HEADER + 'acute_bed,65-74,p1,3,"0\n' + CENSUS_ROW, "delayed_days"),
        census_case("a field of 2,000 characters", "6 exit 1", CENSUS_HEADER + "acute_bed," + "x" * 2000 + ",p1,3,0\n", "row 2"),
        census_case("extra fields", "7 silent", rows + "acute_bed,65-74,p1,3.0,0.0,surprise\n", "row 3"),
        census_case("too few fields", "7 silent", rows + "acute_bed,65-74\n", "row 3"),
        census_case("a duplicated header column", "7 silent", "place,age_band,days,days\nacute_bed,65-74,3,4\n", "days"),
        census_case("days of 1e308", "7 silent", CENSUS_HEADER + "acute_bed,65-74,p1,1e308,0\n", "days"),
        census_case("days of inf", "7 silent", CENSUS_HEADER + "acute_bed,65-74,p1,inf,0\n", "days"),
        census_case("days of nan", "7 silent", CENSUS_HEADER + "acute_bed,65-74,p1,nan,0\n", "days"),
        census_case("negative days", "7 silent", CENSUS_HEADER + "acute_bed,65-74,p1,-3,0\n", "days"),
        census_case("days as text", "7 silent", CENSUS_HEADER + "acute_bed,65-74,p1,three,0\n", "days"),
        census_case("delayed beyond the stay", "7 silent", CENSUS_HEADER + "acute_bed,65-74,p1,3,5\n", "delayed_days"),
        census_case("an unknown place", "7 silent", CENSUS_HEADER + "attic,65-74,p1,3,0\n", "place"),
        census_case("an unknown age band", "7 silent", CENSUS_HEADER + "acute_bed,12-15,p1,3,0\n", "12-15", scenario_level=True),
        census_case("an unknown column", "7 silent", "place,age_band,days,colour\nacute_bed,65-74,3,red\n", "colour"),
        census_case("a missing column", "7 silent", "place,age_band\nacute_bed,65-74\n", "days"),
        census_case("not UTF-8", "7 silent", b"place,age_band,days\nacute_bed,\xff,3\n", "UTF-8"),
        census_case("more people than beds (check)", "7 silent", CENSUS_HEADER + CENSUS_ROW * 6, "acute beds",
                    extra=nested("acute", "{beds: 5, escalation: []}"), scenario_level=True),
        census_case("more people than reablement places", "7 silent",
                    CENSUS_HEADER + "reablement,65-74,,3,0\n" * 4, "reablement",
                    extra=nested("services.reablement.places", "3"), scenario_level=True),
        census_case("as many people as beds", "7 silent", CENSUS_HEADER + CENSUS_ROW * 5, "", status=0,
                    extra=nested("acute", "{beds: 5, escalation: []}")),
        census_case("header only", "7 silent", CENSUS_HEADER, "", status=0),
    ]


# --- batch, sensitivity and calibration files --------------------------------------------------------


def batch_case(name: str, group: str, changes: dict, key: str) -> Case:
    def make(folder: Path) -> list[str]:
        batch = {"name": "b", "baseline": str(BASELINE), "replications": 2, "seed": 1,
                 "scenarios": [{"name": "more_beds", "set": {"acute.beds": 240}}], **changes}
        return ["batch", str(write(folder, "batch.yaml", yaml.safe_dump(batch))), "--out", str(folder / "out"), "--quiet"]

    return Case(f"batch: {name}", group, make, names=["{dir}/batch.yaml", key])


def sensitivity_case(name: str, changes: dict, key: str) -> Case:
    def make(folder: Path) -> list[str]:
        config = {"name": "s", "scenario": str(BASELINE), "indicators": ["mean_los_days"], "samples": 2,
                  "replications": 1, "seed": 1, "parameters": [
                      {"key": "acute.beds", "low": 200, "high": 230, "integer": True},
                      {"key": "demand.growth_per_year", "low": 0.0, "high": 0.05}], **changes}
        return ["sensitivity", str(write(folder, "sens.yaml", yaml.safe_dump(config))), "--out", str(folder / "out"), "--quiet"]

    return Case(f"sensitivity: {name}", "6 exit 1", make, names=["{dir}/sens.yaml", key])


def calibration_case(name: str, changes: dict, key: str) -> Case:
    def make(folder: Path) -> list[str]:
        settings = yaml.safe_load((REPO / "calibration" / "baseline.yaml").read_text())
        settings.update(scenario=str(BASELINE), targets=str(REPO / "calibration" / "targets.yaml"), **changes)
        return ["calibrate", str(write(folder, "fit.yaml", yaml.safe_dump(settings))), "--out", str(folder / "out"), "--quiet"]

    return Case(f"calibrate: {name}", "7 silent", make, names=["{dir}/fit.yaml", key])


def settings_cases() -> list[Case]:
    grid = {"services.reablement.places": list(range(100, 110)), "acute.beds": list(range(200, 210)),
            "discharge.end_hour": list(range(10, 20)), "services.intermediate_care.places": list(range(40, 50))}
    package = lambda components: {"packages": [{"scenario": "more_beds", "components": components}]}  # noqa: E731
    return [
        batch_case("a component named with a space", "6 exit 1", package({"a b": ["acute.beds"], "c": ["acute.escalation"]}),
                   "components"),
        batch_case("a component named with 100 letters", "6 exit 1", package({"x" * 100: ["acute.beds"], "c": ["acute.escalation"]}),
                   "components"),
        batch_case("a component named with a slash", "6 exit 1", package({"../up": ["acute.beds"], "c": ["acute.escalation"]}),
                   "components"),
        batch_case("a grid of 10,000 scenarios", "5 size", {"grids": [{"name": "g", "parameters": grid}]}, "grids"),
        batch_case("replications 1e9", "5 size", {"replications": 1_000_000_000}, "replications"),
        batch_case("a scenario file that is /dev/zero", "5 size", {"scenarios": [{"file": "/dev/zero"}]}, "/dev/zero"),
        batch_case("a scenario entry set 1e12 beds", "5 size", {"scenarios": [{"name": "x", "set": {"acute.beds": 1e12}}]},
                   "acute.beds"),
        batch_case("a baseline that is a folder", "6 exit 1", {"baseline": "/tmp"}, "baseline"),
        sensitivity_case("the same key twice", {"parameters": [{"key": "acute.beds", "low": 200, "high": 230},
                                                               {"key": "acute.beds", "low": 210, "high": 220}]}, "acute.beds"),
        sensitivity_case("a million samples", {"samples": 1_000_000}, "samples"),
        sensitivity_case("replications 1e9", {"replications": 1_000_000_000}, "replications"),
        calibration_case("two parameters on one key", {"parameters": [
            {"name": "a", "keys": ["acute.beds"], "low": 180, "high": 240, "integer": True},
            {"name": "b", "keys": ["acute.beds"], "low": 190, "high": 230, "integer": True}]}, "acute.beds"),
        calibration_case("one parameter naming a key twice", {"parameters": [
            {"name": "a", "keys": ["acute.beds", "acute.beds"], "low": 180, "high": 240, "integer": True}]}, "acute.beds"),
        calibration_case("a budget of 1e9 evaluations", {"optimiser": {"max_evaluations": 1_000_000_000}}, "max_evaluations"),
    ]


# --- output paths (group 1) and the command line's options -----------------------------------------


def device(path: Path) -> Path:
    """A character device like /dev/null (as root), else a FIFO: neither may ever be replaced."""
    if AS_ROOT:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    else:
        os.mkfifo(path)
    return path


def in_out(kind: str) -> Callable[[Path], Path]:
    """Something other than a regular file where a result file goes."""

    def make(path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "device":
            return device(path)
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "symlink":
            victim = path.parent.parent / "victim.txt"
            victim.write_text("precious\n")
            os.symlink(victim, path)
        elif kind == "dangling symlink":
            os.symlink(path.parent.parent / "nowhere.txt", path)
        elif kind == "folder":
            path.mkdir()
        return path

    return make


CENSUS = ["census", str(BASELINE), "--at", "2", "--seed", "1", *TINY]


def run_into_folder_with(folder: Path, files: dict[str, str]) -> list[str]:
    """`run --out` into a folder that holds these files and no tasks.json (issue 13's rule: refused, not mixed)."""
    (folder / "out").mkdir()
    for name, text in files.items():
        write(folder / "out", name, text)
    return ["run", str(BASELINE), *TINY, "--replications", "1", "--out", str(folder / "out"), "--quiet"]


def output_cases() -> list[Case]:
    cases = []
    for kind in ("device", "fifo", "symlink", "dangling symlink", "folder"):
        cases.append(Case(f"census: census_day2.csv is a {kind}", "1 output", lambda folder, kind=kind: (
            in_out(kind)(folder / "out" / "census_day2.csv"), [*CENSUS, "--out", str(folder / "out")])[1],
            names=["{dir}/out/census_day2.csv", "expected a regular file"]))
        cases.append(Case(f"census: --out is a {kind}", "1 output", lambda folder, kind=kind: (
            in_out(kind)(folder / "out"), [*CENSUS, "--out", str(folder / "out")])[1],
            status=0 if kind == "folder" else 2, names=["{dir}/out"]))
        cases.append(Case(f"report: report.html is a {kind}", "1 output", lambda folder, kind=kind: (
            write(folder, "sensitivity.csv", "parameter,indicator,method,index,value,ci_low,ci_high\n"),
            in_out(kind)(folder / "out" / "report.html"), ["report", str(folder), "--out", str(folder / "out")])[2],
            names=["{dir}/out/report.html", "expected a regular file"]))
    cases += [
        Case("census: --out /dev/null", "1 output", lambda folder: [*CENSUS, "--out", "/dev/null"], names=["/dev/null"]),
        Case("census: --out a regular file", "1 output", lambda folder: (
            write(folder, "file", "x"), [*CENSUS, "--out", str(folder / "file")])[1], names=["{dir}/file", "folder"]),
        Case("census: --out under a regular file", "1 output", lambda folder: (
            write(folder, "file", "x"), [*CENSUS, "--out", str(folder / "file" / "sub")])[1], names=["{dir}/file"]),
        Case("run: --out holds an older version's tables", "1 output", lambda folder: run_into_folder_with(
            folder, {"summary.csv": "old", "run.json": "{}"}), names=["{dir}/out", "tasks.json", "not cleared"]),
        Case("run: --out holds other files", "1 output", lambda folder: run_into_folder_with(
            folder, {"thesis.docx": "years of work"}), names=["{dir}/out", "thesis.docx"]),
        Case("run: --scheduler tcp://:::::", "6 exit 1", lambda folder: [
            "run", str(BASELINE), *TINY, "--replications", "2", "--workers", "2", "--out", str(folder / "out"), "--quiet",
            "--scheduler", "tcp://:::::"], names=["--scheduler", "tcp://:::::"]),
        Case("run: --scheduler not-a-url", "6 exit 1", lambda folder: [
            "run", str(BASELINE), *TINY, "--replications", "2", "--out", str(folder / "out"), "--quiet",
            "--scheduler", "ftp://x:y:z"], names=["--scheduler"]),
        Case("run: --workers 0", "options", lambda folder: ["run", str(BASELINE), "--workers", "0"], names=["--workers"]),
        Case("run: --replications -3", "options", lambda folder: ["run", str(BASELINE), "--replications", "-3"],
             names=["--replications"]),
        Case("census: --at 1e308", "options", lambda folder: [*CENSUS, "--at", "1e308", "--out", str(folder / "out")],
             names=["--at"]),
        Case("census: --at nan", "options", lambda folder: [*CENSUS, "--at", "nan", "--out", str(folder / "out")],
             names=["--at"]),
        Case("report: a folder that is not results", "options", lambda folder: ["report", str(folder)], names=["{dir}"]),
    ]
    return cases


CORPUS = [*field_cases(), *distribution_cases(), *yaml_cases(), *census_cases(), *settings_cases(), *output_cases()]


def snapshot(root: Path, skip: Path) -> dict[str, tuple]:
    """Everything under root but `skip`: type, size, content digest of regular files, link targets (no FIFO is opened)."""
    seen = {}
    for folder, folders, files in os.walk(root, followlinks=False):
        here = Path(folder)
        folders[:] = [f for f in folders if here / f != skip]
        for name in [*folders, *files]:
            path = here / name
            if path == skip:
                continue
            info = os.lstat(path)
            content = None
            if stat.S_ISREG(info.st_mode):
                content = hash(path.read_bytes())
            elif stat.S_ISLNK(info.st_mode):
                content = os.readlink(path)
            changed = None if stat.S_ISDIR(info.st_mode) else info.st_mtime_ns  # a folder's entries are listed anyway
            seen[str(path.relative_to(root))] = (stat.S_IFMT(info.st_mode), info.st_size, changed, content)
    return seen


def test_the_corpus_covers_every_group_with_at_least_200_cases():
    groups = {case.group for case in CORPUS}
    assert len(CORPUS) >= 200, len(CORPUS)
    for group in ("1 output", "5 size", "6 exit 1", "6 overflow", "7 silent", "9 messages", "bounds"):
        assert group in groups
    assert len({case.name for case in CORPUS}) == len(CORPUS)  # ids are unique


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_hostile_input(case: Case, tmp_path, monkeypatch, capfd):
    folder = tmp_path / "case"
    folder.mkdir()
    cwd = tmp_path / "cwd"  # where default results/ would go: must stay empty
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    argv = case.make(folder)
    out = folder / "out"
    before = snapshot(tmp_path, out)
    status = main(argv)
    captured = capfd.readouterr()
    after = snapshot(tmp_path, out)
    assert "Traceback" not in captured.err + captured.out
    assert status == case.status, captured.err
    assert after == before, "something outside --out was created, changed or removed"
    if case.status == 0:
        return
    message = captured.err
    lines = message.splitlines()
    assert lines[0].startswith("error: "), message
    source = case.names[0].replace("{dir}", str(folder))
    for line in lines:  # one line per problem (at most 20, then a count), each naming the file or option
        assert source in line or line.startswith("... and "), message
    assert len(lines) <= 21, message
    for name in case.names:
        assert name.replace("{dir}", str(folder)) in message, (name, message)
    assert max(map(len, lines)) < 600  # a value is cut before it is shown
