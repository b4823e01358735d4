"""`python -m sim.app.background FOLDER`: run the command of an app run (FOLDER/app-job.json), then record how it ended.

The command is the command line's own (`sim.cli.main`), so it validates,
runs, resumes, writes and fails exactly as typed by hand; its output goes to
FOLDER/app-log.txt (the app starts this process with that as its output).
SIGTERM is taken as Ctrl-C, so a stopped run still records its end.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from sim.app.jobs import JOB, STATUS, now_text, read_json, write_json


def interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(folder: Path) -> int:
    job = read_json(folder / JOB)
    signal.signal(signal.SIGTERM, interrupted)
    from sim.cli import main as command_line

    code = command_line(job["argv"])
    write_json(folder / STATUS, {"exit_code": code, "finished": time.time(), "finished_at": now_text()})
    return code


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
