"""The command line: parse, call, map errors to exit statuses. No logic of its own.

Exit status: 0 success, 2 bad input (scenario, option, file), 1 anything else
(a full disk, a lost cluster, a bug), 130 after Ctrl-C and 143 after SIGTERM
(finished replications kept).
Progress goes to stderr; results go to files.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sim import __version__
from sim.errors import InputError, Interrupted, MachineError
from sim.precision import DEFAULT_CAP
from sim.scenario.schema import CENSUS_PLACES, MAX_REPLICATIONS

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but bad options raise InputError (exit 2 with one clear line)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise InputError(f"{self.prog}: {message} (see --help)")


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum` (and at most `maximum`)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"value {text[:40]!r}: expected a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"from {minimum} to {maximum:,}" if maximum is not None else f"of {minimum} or more"
            raise argparse.ArgumentTypeError(f"value {text[:40]!r}: expected a whole number {bounds}")
        return value

    return parse


positive_int, non_negative_int = whole_number(1), whole_number(0)


def places_list(text: str) -> list[str]:
    """An argparse type: census places, comma-separated."""
    places = [p.strip() for p in text.split(",") if p.strip()]
    unknown = [p for p in places if p not in CENSUS_PLACES]
    if unknown or not places:
        raise argparse.ArgumentTypeError(f"value {text!r}: expected places from {', '.join(CENSUS_PLACES)}, comma-separated")
    return places


def share(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"value {text!r}: expected a number between 0 and 1, e.g. 0.02") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"value {text!r}: expected a number between 0 and 1, e.g. 0.02")
    return value


def worker_count(requested: int | None, tasks: int | None = None) -> int:
    """--workers, or by default one process per CPU core (no more than there are tasks)."""
    if requested:
        return requested
    cores = os.cpu_count() or 1
    return min(cores, tasks) if tasks else cores


# Flags that mean the same on every command that takes them: declared once, here.
SHARED_FLAGS: dict[str, tuple[tuple, dict]] = {
    "replications": (("--replications",), dict(
        type=positive_int, help="replications of each scenario (default: the file's)")),
    "seed": (("--seed",), dict(
        type=non_negative_int, help="master seed of the random streams (default: the file's)")),
    "set": (("--set",), dict(
        dest="overrides", action="append", default=[], metavar="KEY.PATH=VALUE",
        help="change one scenario value, e.g. --set acute.beds=220 (repeatable; validated like the file)")),
    "workers": (("--workers",), dict(
        type=positive_int, help="worker processes (default: one per CPU core); results do not depend on it")),
    "scheduler": (("--scheduler",), dict(
        metavar="ADDRESS",
        help="run on a dask.distributed scheduler at ADDRESS (e.g. tcp://10.0.0.5:8786), or 'local' for a LocalCluster")),
    "precision": (("--precision",), dict(
        type=share, metavar="SHARE",
        help="add replications until the 95 %% interval of every key indicator is within this share of its mean "
             "(e.g. 0.02: within 2 %%); starts at 10, see --max-replications")),
    "max_replications": (("--max-replications",), dict(
        type=whole_number(2, MAX_REPLICATIONS), default=DEFAULT_CAP, metavar="N",
        help=f"with --precision: stop at N replications even if the precision is not reached (default {DEFAULT_CAP})")),
    "report": (("--report",), dict(action="store_true", help="also write report.html into the results folder")),
    "quiet": (("--quiet",), dict(action="store_true", help="no progress bar")),
    "format": (("--format",), dict(
        choices=["csv", "parquet"], default="csv",
        help="parquet: also write every results table as <name>.parquet, beside its CSV (default: csv only)")),
    "rank_by": (("--rank-by",), dict(
        metavar="INDICATOR", default="delayed_bed_days_per_year",
        help="order the options by their change in this indicator or economic measure, best first "
             "(default: delayed_bed_days_per_year)")),
}


def add_flags(parser: argparse.ArgumentParser, *names: str, out: str | None = None) -> None:
    """Add shared flags by name; `out` is the help of --out (always a folder), None for no --out."""
    for name in names:
        flags, options = SHARED_FLAGS[name]
        parser.add_argument(*flags, **options)
    if out is not None:
        parser.add_argument("--out", type=Path, metavar="DIR", help=out)


RUNNING = ("replications", "seed", "set", "workers", "scheduler", "report", "quiet", "format")  # commands that simulate


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="python -m sim",
        description="Simulate older people's emergency journey through hospital and home care.",
    )
    parser.add_argument("--version", action="version", version=f"sim {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    run = commands.add_parser("run", help="run one scenario and write its result tables")
    run.add_argument("scenario", help="scenario YAML file")
    add_flags(run, *RUNNING, "precision", "max_replications", out="results folder (default: results/<scenario name>/)")
    run.add_argument("--spells", action="store_true", help="also write spells.csv, one row per hospital spell")

    check = commands.add_parser("check", help="validate a scenario without running it")
    check.add_argument("scenario", help="scenario YAML file")
    add_flags(check, "replications", "seed", "set")

    commands.add_parser("schema", help="print the JSON Schema of a scenario")

    batch = commands.add_parser("batch", help="run many scenarios, resumably, and compare them with the baseline")
    batch.add_argument("batch", help="batch YAML file")
    add_flags(batch, *RUNNING, "precision", "max_replications", "rank_by", out="results folder (default: results/<batch name>/)")

    compare = commands.add_parser(
        "compare", help="compare option scenarios with a baseline, paired by replication, without a batch file")
    compare.add_argument("baseline", help="baseline scenario YAML file")
    compare.add_argument("options", nargs="+", metavar="option", help="option scenario YAML files")
    add_flags(compare, *RUNNING, "precision", "max_replications", "rank_by",
              out="results folder (default: results/compare-<first option>[-and-<N>-more]/)")

    sensitivity = commands.add_parser("sensitivity", help="global sensitivity of indicators to parameter ranges (SALib)")
    sensitivity.add_argument("config", help="sensitivity config YAML file")
    sensitivity.add_argument("--method", choices=["morris", "sobol"], help="default: the config's")
    sensitivity.add_argument("--samples", type=positive_int, help="Morris trajectories or Sobol base sample (default: the config's)")
    add_flags(sensitivity, *RUNNING, out="results folder (default: results/<name>-<method>/)")

    calibrate = commands.add_parser("calibrate", help="fit free parameters to historic targets; write the fit and a calibrated scenario")
    calibrate.add_argument("config", help="fit settings YAML file (e.g. calibration/baseline.yaml)")
    calibrate.add_argument("--max-evaluations", type=whole_number(2), help="budget of parameter points (default: the config's)")
    add_flags(calibrate, *RUNNING, out="results folder (default: results/<name>/)")

    census = commands.add_parser("census", help="run one replication and write who is where on a day, as a census CSV")
    census.add_argument("scenario", help="scenario YAML file")
    census.add_argument("--at", type=float, help="the day of the census (default: the end of the horizon)")
    census.add_argument("--replication", type=non_negative_int, default=0, help="which replication (default 0)")
    census.add_argument(
        "--places", type=places_list, metavar="PLACE,PLACE",
        help=f"only people in these places (of {', '.join(CENSUS_PLACES)}); default: everyone",
    )
    census.add_argument(
        "--daily", action="store_true",
        help="also write observed_daily.csv: the daily counts from the census day on (an 'observed' series)",
    )
    add_flags(census, "seed", "set", out="folder for census_day<AT>.csv (required)")

    backtest = commands.add_parser("backtest", help="simulate forward from a census and compare with an observed daily series")
    backtest.add_argument("scenario", help="scenario YAML file")
    backtest.add_argument("--observed", type=Path, required=True, help="CSV: day (0 = census day) and daily census measures")
    backtest.add_argument("--census", help="census CSV to start from (default: the scenario's census); sets no warm-up")
    add_flags(backtest, *RUNNING, out="results folder (default: results/<scenario name>-backtest/)")

    fit = commands.add_parser(
        "fit-inputs", help="fit a scenario and calibration targets from a spell-level extract (one row per hospital spell)"
    )
    fit.add_argument("extract", help="CSV extract, one row per spell (see README), or a run's spells.csv")
    fit.add_argument("--template", help="scenario the fitted one extends (default: scenarios/baseline.yaml)")
    fit.add_argument(
        "--columns", action="append", default=[], metavar="NAME=COLUMN",
        help="the extract's COLUMN holds the field NAME, e.g. --columns admitted=ADMIDATE (repeatable)",
    )
    fit.add_argument("--replication", type=non_negative_int, help="which replication of a spells.csv that holds several")
    fit.add_argument(
        "--drop-bad-rows", action="store_true",
        help="drop rows that cannot be used and list them in data_quality.csv (default: stop at the first, exit 2)",
    )
    add_flags(fit, "quiet", out="folder for scenario.yaml, targets.yaml, inputs.csv, calibration.yaml, inputs.png "
                               "(default: results/<template name>-inputs/)")

    synthetic = commands.add_parser(
        "synthetic-extract", help="run one replication and write its spells as a hospital's spell extract (dates, no model internals)"
    )
    synthetic.add_argument("scenario", help="scenario YAML file")
    synthetic.add_argument("--years", type=float, default=2.0, help="spells admitted in the run's last YEARS years (default 2)")
    synthetic.add_argument("--replication", type=non_negative_int, default=0, help="which replication (default 0)")
    add_flags(synthetic, "seed", "set", out="folder for spells_extract.csv (required)")

    rerun = commands.add_parser(
        "rerun", help="run again what a results folder holds, from its run.json alone (the tables come out the same)"
    )
    rerun.add_argument("folder", type=Path, help="results folder of run, batch, compare, sensitivity, calibrate or backtest")
    add_flags(rerun, "workers", "scheduler", "report", "quiet", out="results folder (default: FOLDER-rerun)")

    report = commands.add_parser("report", help="write a self-contained report.html with figures from a results folder")
    report.add_argument("folder", type=Path, help="results folder of run, batch, sensitivity, calibrate or backtest")
    add_flags(report, "rank_by", out="folder for report.html and its figure PNGs (default: the results folder)")

    app = commands.add_parser("app", help="the web app for planners and commissioners (a page in the browser)")
    app.add_argument("--port", type=whole_number(1, 65535), default=8501, help="port to listen on (default 8501)")
    app.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 opens it to the network)")
    app.add_argument("--results", type=Path, default=Path("results"), metavar="DIR",
                     help="results folder the app lists, opens and writes runs into (default: results/)")

    bench = commands.add_parser("bench", help="measure simulation speed against a plain SimPy reference ward")
    bench.add_argument("--years", type=float, help="simulated years of the bench ward (default 5; 0.5 with --instructions)")
    bench.add_argument("--repeats", type=positive_int, default=3, help="timed repeats of each, best kept (default 3)")
    bench.add_argument(
        "--instructions", action="store_true",
        help="count instructions under valgrind instead of timing (repeatable; --years defaults to 0.5; takes minutes)",
    )
    return parser


def run_overrides(args: argparse.Namespace) -> list[str]:
    """--set, then --replications and --seed, as scenario overrides (in the order they apply)."""
    overrides = list(getattr(args, "overrides", []))
    if getattr(args, "replications", None) is not None:
        overrides.append(f"run.replications={args.replications}")
    if getattr(args, "seed", None) is not None:
        overrides.append(f"run.seed={args.seed}")
    return overrides


def require_out(args: argparse.Namespace, writes: str) -> None:
    """Commands that write one file into --out need the folder named."""
    if args.out is None:
        raise InputError(f"{args.command}: --out DIR is required; expected the folder to write {writes} into")


def print_warnings(warnings: list[dict[str, str]]) -> None:
    """One line each on stderr: what the results cannot be trusted for (the exit status stays 0)."""
    for item in warnings:
        print(f"warning: {item['message']}", file=sys.stderr)


def write_report_if_asked(args: argparse.Namespace, out_dir: Path) -> None:
    if getattr(args, "report", False):
        from sim.report import write_report

        write_report(out_dir, rank_by=getattr(args, "rank_by", None))


def command_run(args: argparse.Namespace) -> None:
    from sim.results import write_run
    from sim.run import run_scenario
    from sim.scenario import load_scenario

    overrides = run_overrides(args)
    scenario = load_scenario(args.scenario, overrides)
    out_dir = args.out or Path("results") / scenario.name
    started = time.perf_counter()
    workers = worker_count(args.workers, None if args.precision else scenario.run.replications)
    scenario, results, precision = run_scenario(
        scenario, out_dir, workers, args.scheduler, not args.quiet, args.spells,
        args.precision, args.max_replications, start=args.replications,
    )
    seconds = time.perf_counter() - started
    warnings = write_run(out_dir, scenario, args.scenario, results, seconds, workers, overrides, precision,
                         parquet=args.format == "parquet")
    if precision:
        print(f"{scenario.name}: {precision.sentence()}", file=sys.stderr)
    write_report_if_asked(args, out_dir)
    print(
        f"{scenario.name}: {len(results)} replications in {seconds:.1f} s; results in {out_dir}/",
        file=sys.stderr,
    )
    print_warnings(warnings)


def command_batch(args: argparse.Namespace) -> None:
    from sim.batch import load_batch

    check_rank_by(args)
    plan = load_batch(args.batch, args.replications, args.seed, args.overrides)
    run_and_rank(args, plan, args.batch)


def command_compare(args: argparse.Namespace) -> None:
    from sim.batch import comparison_plan

    check_rank_by(args)
    plan = comparison_plan(args.baseline, args.options, args.replications, args.seed, args.overrides)
    run_and_rank(args, plan, " ".join(["compare", args.baseline, *args.options]))


def check_rank_by(args: argparse.Namespace) -> None:
    """Refuse an unknown --rank-by before anything runs."""
    from sim.report.appraisal import check_rank_by

    check_rank_by(args.rank_by)


def run_and_rank(args: argparse.Namespace, plan, source: str) -> None:
    """Run a batch plan, write its tables (and report), and print the options best first in words."""
    import pandas as pd

    from sim.batch import run_batch
    from sim.report.appraisal import summary_lines

    out_dir = args.out or Path("results") / plan.name
    workers = worker_count(args.workers)
    started = time.perf_counter()
    replications, warnings = run_batch(
        plan, out_dir, source, workers=workers, scheduler=args.scheduler, progress=not args.quiet,
        parquet=args.format == "parquet", precision=args.precision, max_replications=args.max_replications,
        command=args.command,
    )
    write_report_if_asked(args, out_dir)
    print("\n".join(summary_lines(pd.read_csv(out_dir / "comparison.csv"), args.rank_by, replications)))
    print(
        f"{plan.name}: {len(plan.scenarios)} scenarios x {replications.replication.nunique()} replications "
        f"in {time.perf_counter() - started:.1f} s; results in {out_dir}/",
        file=sys.stderr,
    )
    print_warnings(warnings)


def command_sensitivity(args: argparse.Namespace) -> None:
    from sim.sensitivity import load_config, run_sensitivity

    config, path = load_config(args.config, args.method, args.samples, args.replications, args.seed, args.overrides)
    out_dir = args.out or Path("results") / f"{config.name}-{config.method}"
    workers = worker_count(args.workers)
    started = time.perf_counter()
    table, warnings = run_sensitivity(config, path, out_dir, workers, args.scheduler, progress=not args.quiet,
                                      parquet=args.format == "parquet")
    write_report_if_asked(args, out_dir)
    print_sensitivity(table)
    print(f"{config.name}: {config.method} in {time.perf_counter() - started:.1f} s; results in {out_dir}/", file=sys.stderr)
    print_warnings(warnings)


def print_sensitivity(table) -> None:
    """The three parameters each indicator hangs on most."""
    main_index = table[table["index"].isin(["mu_star", "ST"])]
    for indicator, rows in main_index.groupby("indicator", sort=False):
        ranked = rows.sort_values("value", ascending=False).parameter.tolist()
        print(f"{indicator}: {', '.join(ranked[:3])}")


def command_calibrate(args: argparse.Namespace) -> None:
    from sim.calibrate import load_calibration, run_calibration, write_calibration

    calibration = load_calibration(args.config, args.max_evaluations, args.replications, args.seed, args.overrides)
    out_dir = args.out or Path("results") / calibration.settings.name
    workers = worker_count(args.workers)
    started = time.perf_counter()
    result = run_calibration(calibration, out_dir, workers, args.scheduler, progress=not args.quiet)
    fit, warnings = write_calibration(calibration, result, out_dir, args.config, time.perf_counter() - started, workers,
                                      parquet=args.format == "parquet")
    write_report_if_asked(args, out_dir)
    for row in fit.itertuples():
        print(f"{row.target:32s} observed {row.observed:10.4g}  simulated {row.simulated:10.4g}  z {row.z:+6.2f}  {row.status}")
    unmatched = int((~fit.within_95).sum())
    print(
        f"{calibration.settings.name}: {len(result.evaluations)} evaluations, {result.stopped_because}; "
        f"objective {result.start.objective:.2f} -> {result.best.objective:.2f}; "
        f"{len(fit) - unmatched} of {len(fit)} targets within their 95 % interval; "
        f"{time.perf_counter() - started:.1f} s; results in {out_dir}/",
        file=sys.stderr,
    )
    print_warnings(warnings)


def command_census(args: argparse.Namespace) -> None:
    from sim.model import CENSUS_COLUMNS, draw_arrivals, simulate
    from sim.model.census_start import census_of
    from sim.files import check_replaceable, ensure_folder, write_atomically
    from sim.scenario import load_scenario
    from sim.scenario.census import write_census
    from sim.streams import Streams

    require_out(args, "census_day<AT>.csv")
    scenario = load_scenario(args.scenario, run_overrides(args))
    at = scenario.run.horizon_days if args.at is None else args.at
    if not -scenario.run.warmup_days <= at <= scenario.run.horizon_days:
        raise InputError(f"--at {at:g}: outside the run; expected a day from {-scenario.run.warmup_days:g} to {scenario.run.horizon_days:g}")
    census_file = args.out / f"census_day{at:g}.csv"
    ensure_folder(args.out)  # before simulating: a wrong --out is told at once
    check_replaceable(census_file)
    streams = Streams(scenario.run.seed, args.replication)
    records = simulate(scenario, draw_arrivals(scenario, streams), streams)
    entries = [e for e in census_of(records, scenario, at, seed=scenario.run.seed) if not args.places or e.place in args.places]
    write_atomically(census_file, lambda tmp: write_census(tmp, entries))
    if args.daily:
        import pandas as pd

        daily = pd.DataFrame(records.census, columns=list(CENSUS_COLUMNS))
        daily = daily[daily.day >= at].assign(day=lambda d: d.day - at)
        daily = daily[["day", "beds_occupied", "bed_queue", "delayed_patients"]].astype("int64")
        write_atomically(args.out / "observed_daily.csv", lambda tmp: daily.to_csv(tmp, index=False))
    print(f"{scenario.name}: census of day {at:g}, replication {args.replication}: {len(entries)} people; {census_file}",
          file=sys.stderr)


def command_backtest(args: argparse.Namespace) -> None:
    from sim.backtest import read_observed, run_backtest
    from sim.scenario import load_scenario

    observed = read_observed(args.observed)
    overrides = list(args.overrides)
    if args.census:
        overrides += [f"census={Path(args.census).resolve()}", "run.warmup_days=0"]
    overrides += run_overrides(argparse.Namespace(replications=args.replications, seed=args.seed))
    overrides.append(f"run.horizon_days={float(observed.day.max()) + 1}")
    scenario = load_scenario(args.scenario, overrides)
    if scenario.census is None:
        raise InputError(f"{args.scenario}: census: none given; expected a census to start from (census: FILE, or --census)")
    if scenario.run.replications < 2:
        raise InputError(f"{args.scenario}: run.replications: value {scenario.run.replications}: expected 2 or more for a band")
    out_dir = args.out or Path("results") / f"{scenario.name}-backtest"
    workers = worker_count(args.workers, scenario.run.replications)
    started = time.perf_counter()
    coverage, warnings = run_backtest(scenario, observed, out_dir, args.scenario, overrides, workers, args.scheduler,
                                      not args.quiet, args.format == "parquet")
    write_report_if_asked(args, out_dir)
    print_coverage(coverage)
    print(f"{scenario.name}: back-test in {time.perf_counter() - started:.1f} s; results in {out_dir}/", file=sys.stderr)
    print_warnings(warnings)


def print_coverage(coverage) -> None:
    for row in coverage.itertuples():
        print(f"{row.measure:18s} {row.inside_share:6.1%} of {row.days} observed days inside the simulated 90 % band; "
              f"median off by {row.mean_error:+.1f} on average")


def command_fit_inputs(args: argparse.Namespace) -> None:
    from sim.inputs import fit_inputs, read_extract
    from sim.inputs.write import write_outputs
    from sim.scenario import load_scenario

    started = time.perf_counter()
    template_path = Path(args.template) if args.template else DEFAULT_TEMPLATE
    template = load_scenario(template_path)
    extract = read_extract(
        Path(args.extract), template.age_bands, template.run.start_year, args.columns, args.replication, args.drop_bad_rows
    )
    if extract.dropped:
        reasons = Counter(b.reason.split(";")[0].split(" (")[0] for b in extract.dropped)
        print(f"{args.extract}: dropped {len(extract.dropped):,} of {extract.rows_read:,} rows:", file=sys.stderr)
        for reason, n in reasons.most_common():
            print(f"  {n:6,} {reason}", file=sys.stderr)
    elif args.drop_bad_rows and not args.quiet:
        print(f"{args.extract}: no bad rows among {extract.rows_read:,}", file=sys.stderr)
    fit = fit_inputs(extract, template, template_path)
    out_dir = args.out or Path("results") / f"{template.name}-inputs"
    written = write_outputs(fit, out_dir, fit_inputs_command(args), args.drop_bad_rows)
    if not args.quiet:
        for estimate in fit.fitted.estimates:
            if estimate.written:
                print(f"{estimate.parameter:45s} {estimate.value:10.4g}  ({estimate.low:.4g}-{estimate.high:.4g})", file=sys.stderr)
    print(
        f"{args.extract}: {len(extract.spells):,} spells, {len(fit.fitted.estimates)} estimates, {len(fit.targets)} targets "
        f"in {time.perf_counter() - started:.1f} s; {', '.join(written)} in {out_dir}/",
        file=sys.stderr,
    )


def command_synthetic_extract(args: argparse.Namespace) -> None:
    from sim.files import write_atomically
    from sim.inputs.synthetic import synthetic_extract
    from sim.scenario import load_scenario

    require_out(args, "spells_extract.csv")
    scenario = load_scenario(args.scenario, run_overrides(args))
    span = (scenario.run.warmup_days + scenario.run.horizon_days) / 365.0
    if not 0 < args.years <= span:
        raise InputError(f"--years {args.years:g}: expected more than 0 and at most the run's {span:g} years (warm-up and horizon)")
    extract = synthetic_extract(scenario, args.replication, args.years)
    path = args.out / "spells_extract.csv"
    write_atomically(path, lambda tmp: extract.to_csv(tmp, index=False))
    print(f"{scenario.name}: replication {args.replication}, {len(extract):,} spells of the last {args.years:g} years; {path}",
          file=sys.stderr)


def fit_inputs_command(args: argparse.Namespace) -> str:
    """The command as typed (near enough), for the comments of what it writes."""
    parts = ["python -m sim fit-inputs", str(args.extract)]
    if args.template:
        parts += ["--template", str(args.template)]
    parts += [f"--columns {c}" for c in args.columns]
    if args.replication is not None:
        parts += ["--replication", str(args.replication)]
    if args.drop_bad_rows:
        parts.append("--drop-bad-rows")
    if args.out:
        parts += ["--out", str(args.out)]
    return " ".join(parts)


def command_rerun(args: argparse.Namespace) -> None:
    from sim.rerun import rerun

    out_dir = args.out or args.folder.with_name(f"{args.folder.name}-rerun")
    started = time.perf_counter()
    command, warnings = rerun(args.folder, out_dir, worker_count(args.workers), args.scheduler, not args.quiet)
    write_report_if_asked(args, out_dir)
    print(f"{args.folder}: its {command} rerun in {time.perf_counter() - started:.1f} s; results in {out_dir}/",
          file=sys.stderr)
    print_warnings(warnings)


def command_report(args: argparse.Namespace) -> None:
    from sim.report import write_report

    page = write_report(args.folder, args.out / "report.html" if args.out else None, rank_by=args.rank_by)
    print(f"report: {page}", file=sys.stderr)


def command_check(args: argparse.Namespace) -> None:
    from sim.scenario import load_scenario
    from sim.scenario.summary import describe

    scenario = load_scenario(args.scenario, run_overrides(args))
    print(f"{args.scenario}: OK: {describe(scenario)}")


def command_schema(args: argparse.Namespace) -> None:
    from sim.scenario.schema import Scenario

    print(json.dumps(Scenario.model_json_schema(), indent=2))


def command_app(args: argparse.Namespace) -> None:
    from sim.app.server import serve

    serve(args.port, args.host, args.results)


def command_bench(args: argparse.Namespace) -> None:
    if args.instructions:
        from sim.bench.instructions import count_instructions

        years = args.years or 0.5
        counts = count_instructions(years)
        print(f"bench ward, {years:g} simulated years, instructions with imports subtracted (callgrind)")
        print(f"ours {counts['ours'] / 1e9:.4f} G, plain SimPy reference {counts['reference'] / 1e9:.4f} G")
        print(f"instruction_ratio_vs_simpy_reference: {counts['ratio']:.3f}")
        return
    from sim.bench import run_bench

    run_bench(years=args.years or 5.0, repeats=args.repeats)


COMMANDS = {
    "run": command_run,
    "check": command_check,
    "schema": command_schema,
    "batch": command_batch,
    "compare": command_compare,
    "sensitivity": command_sensitivity,
    "calibrate": command_calibrate,
    "census": command_census,
    "backtest": command_backtest,
    "fit-inputs": command_fit_inputs,
    "synthetic-extract": command_synthetic_extract,
    "rerun": command_rerun,
    "report": command_report,
    "app": command_app,
    "bench": command_bench,
}


def main(argv: list[str] | None = None) -> int:
    try:
        with signals_as_interruptions():
            args = build_parser().parse_args(argv)
            COMMANDS[args.command](args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MachineError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt as stop:  # Ctrl-C or SIGTERM: what was kept is in the message (sim.errors.Interrupted)
        number = getattr(stop, "signal_number", signal.SIGINT)
        said = f": {stop}" if str(stop) else ""
        print(f"interrupted by {signal.Signals(number).name}{said}", file=sys.stderr)
        return 128 + number
    except Exception as error:  # a bug or the machine: say what, briefly
        print(f"failed: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


@contextmanager
def signals_as_interruptions() -> Iterator[None]:
    """SIGTERM interrupts like Ctrl-C does, so `kill PID` also stops the workers and keeps finished work."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(number: int, frame: object) -> None:
        raise Interrupted(signal_number=number)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main_entry() -> None:
    """Console script `sim`: same as `python -m sim`."""
    sys.exit(main())
