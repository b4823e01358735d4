"""The report: one self-contained HTML page (images and styles inline) and a PNG per figure, from a results folder.

It reads only result files, so a report can be remade from any results folder.
"""

from sim.report.page import write_report

__all__ = ["write_report"]
