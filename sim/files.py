"""Writing result files safely: a reader never sees half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; results are for colleagues too
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_tables(out_dir: Path, tables: dict[str, pd.DataFrame], parquet: bool = False) -> None:
    """Write each table as out_dir/<name> (CSV), and with `parquet` also as <name stem>.parquet, atomically.

    CSV is always written (the report and every command read it); Parquet keeps
    the column types for analysts who load results into pandas, R or Power BI.
    """
    for name, table in tables.items():
        write_atomically(out_dir / name, lambda tmp, table=table: table.to_csv(tmp, index=False))
        if parquet:
            write_atomically((out_dir / name).with_suffix(".parquet"),
                             lambda tmp, table=table: table.to_parquet(tmp, index=False))


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
