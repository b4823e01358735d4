"""The report: one self-contained HTML page (images and styles inline) and a PNG per figure, from a results folder.

It reads only result files, so a report can be remade from any results folder.
`sim.report.numbers` (how values are shown) imports nothing heavy: the page and
its figures load only when `write_report` is first used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["write_report"]


def __getattr__(name: str) -> Any:
    if name == "write_report":
        from sim.report.page import write_report

        return write_report
    raise AttributeError(f"module 'sim.report' has no attribute {name!r}")
