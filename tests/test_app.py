"""The web app's page logic, with Streamlit's own app-testing API (no browser), and its safety on a shared machine.

Every test points the app at a results folder of its own in tmp_path
(SIM_APP_RESULTS) and reads the shipped scenarios; runs are the command
line's own, in processes of their own, on tiny versions of the validation
ward, and each test waits for its runs to end.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from sim.app import RESULTS_VARIABLE, SHIPPED
from sim.app.edits import errors_by_field, overrides_of
from sim.app.jobs import (
    JOB,
    LOG,
    RunRequest,
    past_runs,
    record_of,
    resume_run,
    run_state,
    runs_under_way,
    start_run,
    stop_run,
    tasks_done,
)
from sim.app.levers import levers
from sim.app.safety import MAX_UPLOAD_BYTES, accept_upload, safe_name
from sim.app.sources import comment_of, source_of, value_sources
from sim.app.ui import progress_text
from sim.cli import main
from sim.errors import InputError
from sim.scenario import load_scenario
from sim.scenario.schema import Scenario

MAIN = Path(__file__).resolve().parents[1] / "sim" / "app" / "main.py"
BASELINE = SHIPPED / "baseline.yaml"
WARD = SHIPPED / "validation" / "mmc_wait.yaml"


@pytest.fixture
def results(tmp_path, monkeypatch) -> Path:
    """The app's results folder, two levels below tmp_path (so that ../../x would land in tmp_path)."""
    folder = tmp_path / "team" / "results"
    monkeypatch.setenv(RESULTS_VARIABLE, str(folder))
    return folder


def app() -> AppTest:
    return AppTest.from_file(str(MAIN), default_timeout=60).run()


def lever_key(base: str, key_path: str) -> str:
    return f"lever|{base}|{key_path}"


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def wait_for_runs(at: AppTest, results: Path, timeout: float = 90) -> None:
    """Rerun the page until every run in the results folder has ended (as a browser's refresh would)."""
    deadline = time.monotonic() + timeout
    while any(not r.ended for r in past_runs(results)):
        assert time.monotonic() < deadline, f"runs still going after {timeout} s: {past_runs(results)}"
        time.sleep(0.5)
    at.run()


# --- the fields come from the schema, their sources from the files ---------------------------------------------


def test_levers_carry_the_schemas_unit_and_description_and_the_files_source():
    scenario = load_scenario(BASELINE)
    fields = {f.key_path: f for section in levers(scenario).values() for f in section}
    beds = fields["acute.beds"]
    schema = Scenario.model_json_schema()["$defs"]["Acute"]["properties"]["beds"]
    assert (beds.kind, beds.value, beds.unit) == ("int", 215, schema["unit"])
    assert schema["description"].startswith(beds.description) and beds.description
    assert fields["discharge.days"].kind == "choices" and "Sat" in fields["discharge.days"].options
    assert fields["services.reablement.duration.mean"].label == "Duration (lognormal): mean"
    assert fields["services.care_home.places"].optional and fields["services.care_home.places"].value is None
    assert {f"demand.arrivals_per_day.{band}" for band in scenario.age_bands} <= set(fields)
    sources = value_sources(SHIPPED / "interventions" / "seven_day_discharge.yaml")
    assert source_of(sources, "acute.beds").startswith("[ASSUMPTION] beds used by the 65+ emergency cohort")
    assert "Seven Days a Week Forum" in source_of(sources, "discharge.days")  # the intervention's own comment
    assert source_of(sources, "services.reablement.places").startswith("[ASSUMPTION] about 10 % above mean demand")
    assert comment_of('name: "a # b"  # the real one') == "the real one" and comment_of("beds: 215") == ""


# --- the scenario page --------------------------------------------------------------------------------------


def test_an_invalid_value_shows_the_command_lines_own_message_next_to_its_field(results, capsys):
    at = app()
    at.number_input(key=lever_key("baseline", "acute.beds")).set_value(-3).run()
    assert main(["check", str(BASELINE), "--set", "acute.beds=-3"]) == 2
    [said] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert said.startswith("error: --set: acute.beds: value -3")
    shown = [e.value for e in at.error]
    assert shown == [said]
    column = next(block for block in at.main.get("column")
                  if any(getattr(c, "key", None) == lever_key("baseline", "acute.beds") for c in block.children.values()))
    after = list(column.children.values())
    widget = next(i for i, c in enumerate(after) if getattr(c, "key", None) == lever_key("baseline", "acute.beds"))
    assert after[widget + 1].value == said  # right under the field
    assert not at.download_button and not files_under(results)  # nothing to download or keep while it is wrong
    at.number_input(key=lever_key("baseline", "acute.beds")).set_value(230).run()
    assert not at.error and at.download_button


def test_the_downloaded_yaml_holds_only_the_changes_and_reloads_to_the_same_scenario(results, tmp_path):
    at = app()
    at.number_input(key=lever_key("baseline", "acute.beds")).set_value(230)
    at.multiselect(key=lever_key("baseline", "discharge.days")).select("Sat")
    at.number_input(key=lever_key("baseline", "services.reablement.duration.mean")).set_value(20.0)
    at.text_input(key=lever_key("baseline", "name")).set_value("weekend_beds").run()
    text = at.session_state.scenario_yaml
    data = yaml.safe_load(text)
    assert data == {"extends": "../baseline.yaml", "name": "weekend_beds", "acute": {"beds": 230},
                    "discharge": {"days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]},
                    "services": {"reablement": {"duration": {"mean": 20.0}}}}
    expected = load_scenario(BASELINE, overrides_of({
        "acute.beds": 230, "discharge.days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
        "services.reablement.duration.mean": 20.0, "name": "weekend_beds"}))
    copy = tmp_path / "scenarios"  # a copy of the shipped scenarios, with the download saved in a folder of it
    shutil.copytree(SHIPPED, copy)
    (copy / "mine").mkdir()
    (copy / "mine" / "weekend_beds.yaml").write_text(text, encoding="utf-8")
    assert load_scenario(copy / "mine" / "weekend_beds.yaml") == expected
    assert load_scenario(BASELINE) != expected  # the edit changed something
    # Uploaded again, it is the same scenario, and can be edited further.
    at.file_uploader(key="upload").set_value(("weekend_beds.yaml", text.encode(), "application/x-yaml")).run()
    assert at.selectbox(key="base").value == "upload: weekend_beds" and not at.error
    assert load_scenario(results / "uploads" / "weekend_beds.yaml") == expected
    assert at.number_input(key=lever_key("upload: weekend_beds", "acute.beds")).value == 230


# --- the run and results pages ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_failed_run_shows_its_error_then_a_run_finishes_and_its_tables_appear(results, tmp_path, capsys):
    before = files_under(tmp_path)
    at = app()
    at.selectbox(key="base").set_value("validation/mmc_wait").run()
    at.number_input(key=lever_key("validation/mmc_wait", "acute.beds")).set_value(16).run()
    at.button(key="keep").click().run()
    assert (results / "scenarios" / "mmc_wait_edited.yaml").is_file()

    # A run the command line refuses (an option on another calendar), and while it goes, one that finishes.
    at.switch_page("views/run.py").run()
    at.selectbox(key="run_baseline").set_value("validation/mmc_wait").run()  # its fields start from its own values
    at.multiselect(key="run_options").set_value(["interventions/seven_day_discharge"])
    at.number_input(key="run_replications|validation/mmc_wait").set_value(2)
    at.number_input(key="run_workers").set_value(1)
    at.checkbox(key="run_report").uncheck()  # the browser test makes one; here it would only take time
    at.button(key="run").click().run()
    at.multiselect(key="run_options").set_value(["edit: mmc_wait_edited"])
    at.number_input(key="run_horizon|validation/mmc_wait").set_value(60.0)
    at.number_input(key="run_warmup|validation/mmc_wait").set_value(20.0)
    at.text_input(key="run_name").set_value("../../etc/x")  # a name that tries to leave the results folder
    at.button(key="run").click().run()
    assert not at.exception and len(past_runs(results)) == 2
    wait_for_runs(at, results)
    states = {r.name: r.state for r in past_runs(results)}
    assert states == {"compare-seven_day_discharge": "failed", "etc_x": "finished"}
    main(["compare", str(WARD), str(SHIPPED / "interventions" / "seven_day_discharge.yaml"), "--replications", "2",
          "--out", str(tmp_path / "by-hand"), "--quiet"])
    [said] = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error: ")]
    assert "run.warmup_days" in said
    assert said in [e.value for e in at.error] and not at.exception  # the command line's message, and still usable
    finished = [r for r in past_runs(results) if r.state == "finished"]
    assert [r.name for r in finished] == ["etc_x"] and not (tmp_path / "etc").exists()
    assert all(results in path.parents for path in files_under(tmp_path) - before)  # nothing written elsewhere
    expected = {"summary.csv", "replications.csv", "comparison.csv", "daily.csv", "los_histogram.csv", "run.json",
                "tasks.json"}
    written = {p.name for p in (results / "etc_x").iterdir()}
    assert expected <= written and not any(name.startswith("app-") for name in written)  # the command's files only
    assert len(list((results / "etc_x").glob("tasks/*/replication-*.json"))) == 4

    at.button(key="open|etc_x").click().run()
    assert not at.exception and [t.value for t in at.title] == ["Results"]
    ranking = at.dataframe[0].value
    assert list(ranking.option) == ["Mmc wait edited"] and "delayed bed days" in ranking
    headline = at.table[0].value
    assert "mean los days (days)" in headline.index and headline.shape[1] == 3
    assert len(at.get("vega_lite_chart")) == 8  # six for the scenario, the forest plot and the cost plane
    assert any("Mmc wait edited" in m.value for m in at.markdown)  # the summary in words names the option
    downloads = {d.label for d in at.download_button}
    assert {"summary.csv", "comparison.csv", "daily.csv", "run.json"} <= downloads
    assert "baseline.yaml (the scenario as run)" in downloads and "report.html" not in downloads
    at.switch_page("views/results.py").run()  # AppTest stays on the page it last switched to itself
    at.button(key="write_report").click().run()  # the run was made without one: write it now
    assert (results / "etc_x" / "report.html").is_file() and "report.html" in {d.label for d in at.download_button}


# --- safety on a shared machine -----------------------------------------------------------------------------


BAD_UPLOADS = [
    ("big.yaml", b"name: x\n" + b"#" * MAX_UPLOAD_BYTES, f"expected a scenario file of at most {MAX_UPLOAD_BYTES:,} bytes"),
    ("notes.txt", b"name: x\n", "not a .yaml or .yml file"),  # the page's uploader refuses it too
    ("broken.yaml", b"name: [x\n", "YAML syntax error"),
    ("binary.yaml", b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8 text"),
    ("list.yaml", b"- a\n- b\n", "top level is a list"),
    ("python.yaml", b"name: !!python/object/apply:os.system ['touch pwned']\n", "could not determine a constructor"),
    ("escape.yaml", b"extends: ../../../../etc/passwd\nname: x\n", "not a shipped scenario or an earlier upload"),
    ("census.yaml", b"extends: ../baseline.yaml\nname: x\ncensus: /etc/passwd\n", "a census file cannot be uploaded"),
    ("invalid.yaml", b"extends: ../baseline.yaml\nname: x\nacute: {beds: -3}\n", "acute.beds: value -3"),
]


@pytest.mark.parametrize("file_name, content, said", BAD_UPLOADS, ids=[case[0] for case in BAD_UPLOADS])
def test_a_bad_upload_is_refused_with_a_message_and_nothing_kept(results, file_name, content, said):
    with pytest.raises(InputError, match=re.escape(said)):
        accept_upload(file_name, content, SHIPPED, results)
    assert not list(results.rglob("*.yaml")) and not (Path.cwd() / "pwned").exists()


def test_the_page_shows_why_an_upload_is_refused_and_stays_usable(results):
    at = app()
    file_name, content, said = BAD_UPLOADS[0]
    at.file_uploader(key="upload").set_value((file_name, content, "application/x-yaml")).run()
    assert [e.value for e in at.error] == [f"error: upload 'big.yaml': {len(content):,} bytes; {said}"]
    assert not at.exception and at.selectbox(key="base").value == "baseline" and not results.exists()
    at.number_input(key=lever_key("baseline", "acute.beds")).set_value(230).run()  # still usable
    assert at.download_button and "beds: 230" in at.session_state.scenario_yaml


def test_a_good_upload_is_kept_under_a_safe_name_inside_the_results_folder(results, tmp_path):
    before = files_under(tmp_path)
    at = app()
    content = b"extends: ../interventions/seven_day_discharge.yaml\nname: mine\nacute: {beds: 220}\n"
    at.file_uploader(key="upload").set_value(("../../etc/x.yaml", content, "application/x-yaml")).run()
    assert not at.error and at.selectbox(key="base").value == "upload: x"
    new = files_under(tmp_path) - before
    assert new == {results / "uploads" / "x.yaml"}  # nothing outside the results folder
    assert load_scenario(results / "uploads" / "x.yaml").discharge.days == list(load_scenario(
        SHIPPED / "interventions" / "seven_day_discharge.yaml").discharge.days)


def test_names_become_one_harmless_path_component():
    assert safe_name("../../etc/x") == "etc_x"
    assert safe_name("/etc/passwd") == "etc_passwd"
    assert safe_name("..") == "scenario" and safe_name("") == "scenario"
    assert safe_name("Réablement plus 20%") == "Reablement_plus_20"
    assert safe_name("a\\..\\b") == "a_.._b" and "/" not in safe_name("x/../../y")


def test_errors_go_next_to_the_fields_they_name_and_a_sections_to_its_edited_fields():
    lines = ["error: --set: acute.beds: value -3: expected greater than 0",
             "error: --set: discharge: start_hour 21 is not before end_hour 20; expected start_hour < end_hour",
             "error: scenarios/x.yaml: something about the whole file"]
    fields = ["acute.beds", "discharge.days", "discharge.start_hour", "discharge.end_hour"]
    placed, loose = errors_by_field(lines, fields, ["acute.beds", "discharge.start_hour"])
    assert placed == {"acute.beds": [lines[0]], "discharge.start_hour": [lines[1]]} and loose == [lines[2]]


def test_a_run_whose_process_is_gone_is_stopped_and_can_be_resumed(results):
    folder = results / "lost"
    record_of(folder).mkdir(parents=True)
    job = {"argv": ["check", str(WARD)], "expected_tasks": 1, "precision": None}
    (record_of(folder) / JOB).write_text(json.dumps({**job, "pid": 999_999_999, "started": time.time()}), encoding="utf-8")
    assert run_state(folder).state == "stopped" and run_state(folder).errors
    resume_run(folder)  # the same command again, in its own process
    deadline = time.monotonic() + 60
    while not run_state(folder).ended:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert run_state(folder).state == "finished"
    assert "mmc_wait.yaml: OK" in (record_of(folder) / LOG).read_text(encoding="utf-8")


@pytest.mark.slow
def test_stop_interrupts_a_run_as_ctrl_c_would_and_it_shows_as_stopped(results):
    request = RunRequest(WARD, replications=50, overrides=("run.horizon_days=2000",), workers=1, report=False)
    folder = start_run(request, results)
    deadline = time.monotonic() + 60
    while tasks_done(folder) == 0:  # under way: at least one replication kept
        assert time.monotonic() < deadline and not run_state(folder).ended, (record_of(folder) / LOG).read_text()
        time.sleep(0.2)
    stop_run(folder)
    while not run_state(folder).ended:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    state = run_state(folder)
    assert state.state == "stopped" and 0 < state.done < 50
    assert any(line.startswith("interrupted by SIGINT") for line in state.errors), state.errors


def test_progress_is_the_task_files_against_those_expected_with_the_time_left(results):
    folder = results / "going"
    tasks = folder / "tasks" / "baseline"
    tasks.mkdir(parents=True)
    record_of(folder).mkdir(parents=True)
    # A stand-in for the background process (alive() knows a run's process by its command line).
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "sim.app.background"])
    try:
        job = {"argv": ["run", "x.yaml"], "expected_tasks": 8, "precision": None, "pid": process.pid,
               "started": time.time() - 10.0, "done_at_start": 0}
        (record_of(folder) / JOB).write_text(json.dumps(job), encoding="utf-8")
        for replication in range(2):
            (tasks / f"replication-{replication:05d}.json").write_text("{}", encoding="utf-8")
        (tasks / ".replication-00002.json.123.tmp").write_text("", encoding="utf-8")  # half written: not counted
        [state] = runs_under_way(results)
        assert (state.state, state.done, state.expected) == ("running", 2, 8)
        assert state.left == pytest.approx(30.0, abs=1.0)  # 10 s for 2 replications, 6 to go
        assert progress_text(state) == "2 of 8 replications, about 30 s left"
        for replication in range(2, 8):
            (tasks / f"replication-{replication:05d}.json").write_text("{}", encoding="utf-8")
        assert run_state(folder).state == "writing tables"
    finally:
        process.kill()
        process.wait()
    assert run_state(folder).state == "stopped" and runs_under_way(results) == []


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_a_port_that_cannot_be_is_refused_before_a_server_starts(port, capsys):
    from sim.cli import main

    assert main(["app", "--port", port]) == 2
    assert "argument --port: value" in capsys.readouterr().err


def test_the_command_shown_for_a_run_can_be_pasted_into_a_shell(tmp_path):
    """A --set value with quotes and spaces comes back whole when the shown command is split as a shell would."""
    import shlex

    from sim.app import jobs

    folder = tmp_path / "results" / "more_demand"
    argv = ["run", "/scenarios/a b.yaml", "--out", str(folder), "--set", "demand.arrivals_per_day={'65-74': 5.83}"]
    jobs.record_of(folder).mkdir(parents=True)
    jobs.write_json(jobs.record_of(folder) / jobs.JOB, {"argv": argv, "expected_tasks": 2, "pid": None})
    shown = jobs.run_state(folder).command
    assert shlex.split(shown) == ["python", "-m", "sim", *argv]
