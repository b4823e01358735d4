"""`python -m sim.app.background RECORD`: run the command of an app run (RECORD/app-job.json), record how it ended.

The command is the command line's own (`sim.cli.main`), so it validates,
runs, resumes, writes, fails and is interrupted (Ctrl-C or SIGTERM: finished
work kept, exit 130 or 143) exactly as typed by hand; its output goes to
RECORD/app-log.txt (the app starts this process with that as its output).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sim.app.jobs import JOB, STATUS, now_text, read_json, write_json


def main(record: Path) -> int:
    job = read_json(record / JOB)
    from sim.cli import main as command_line

    code = command_line(job["argv"])
    write_json(record / STATUS, {"exit_code": code, "finished": time.time(), "finished_at": now_text()})
    return code


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
